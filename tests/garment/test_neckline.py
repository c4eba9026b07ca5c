"""The inside of a garment seen through its neckline."""

import cv2
import numpy as np

from fitroom.data.render_garment import render_garment
from fitroom.garment import analyze_garment
from fitroom.garment.neckline import REACH, inner_back
from fitroom.labels import GarmentCategory


def _v_neck_with_inside():
    """A rendered tee with a dark back panel painted inside a V at its neckline."""
    g = render_garment(GarmentCategory.SHORT_SLEEVE_TOP, seed=5)
    a = analyze_garment(g.image)
    lm = a.landmarks
    img = g.image.copy()
    nl, nr = np.array(lm.neck_left), np.array(lm.neck_right)
    ys = np.nonzero(a.mask.any(axis=1))[0]
    top = ys[0]
    depth = 0.9 * abs(nl[0] - nr[0])
    v = np.array([[nr[0], top], [nl[0], top], [(nl[0] + nr[0]) / 2, top + depth]], np.int32)
    inside = np.zeros(a.mask.shape, np.uint8)
    cv2.fillConvexPoly(inside, v, 1)
    inside = inside.astype(bool) & a.mask
    img[inside] = (img[inside] * 0.4).astype(np.uint8)  # in the garment's own shadow
    return img, a.mask, inside


def test_the_inner_back_is_found_and_left_out_of_the_mask():
    img, mask, inside = _v_neck_with_inside()
    a = analyze_garment(img, mask=mask)
    found = a.inner_mask
    # most of it (the V's tip is thinner than the clean-up's opening), and nothing beyond its
    # reach (the roots of the dark stripes that touch it may go with it)
    assert (found & inside).sum() > 0.6 * inside.sum()
    lm = a.landmarks
    r = int(REACH * abs(lm.neck_left[0] - lm.neck_right[0]))
    rim = cv2.dilate(inside.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)).astype(bool)
    assert not (found & ~rim).any()
    assert not (a.mask & found).any() and not (a.torso_mask & found).any()
    assert a.mask.sum() == (mask & ~found).sum()


def test_a_garment_without_an_inside_showing_loses_nothing():
    for cat in (GarmentCategory.SHORT_SLEEVE_TOP, GarmentCategory.SLEEVELESS_TOP, GarmentCategory.DRESS):
        g = render_garment(cat, seed=2)
        a = analyze_garment(g.image)
        assert a.inner_mask.sum() < 0.002 * a.mask.sum()


def test_a_dark_print_on_the_front_is_not_an_inside():
    g = render_garment(GarmentCategory.SHORT_SLEEVE_TOP, seed=5)
    a = analyze_garment(g.image)
    img = g.image.copy()
    ys, xs = np.nonzero(a.mask)
    cy, cx = int(ys.mean()), int(xs.mean())
    cv2.circle(img, (cx, cy), int(0.1 * (xs.max() - xs.min())), (20, 20, 20), -1)  # a logo on the chest
    assert inner_back(img, a.mask, a.landmarks).sum() == 0


def _tee(colour):
    """A plain rendered tee recoloured to ``colour`` (RGB), with its analysis."""
    g = render_garment(GarmentCategory.SHORT_SLEEVE_TOP, seed=5)
    a = analyze_garment(g.image)
    img = g.image.copy()
    img[a.mask] = colour
    return img, a


def test_the_inside_of_a_dark_crew_neck_is_found():
    # navy fabric (L* ~ 7) and a black inside (L* ~ 1): only a few L* apart, but in deep shadow;
    # a crew neck's opening is shallow (a third of its width)
    img, a = _tee((20, 22, 45))
    lm = a.landmarks
    nl, nr = np.array(lm.neck_left), np.array(lm.neck_right)
    top = int(min(nl[1], nr[1]))
    cx, wide = int((nl[0] + nr[0]) / 2), int(abs(nl[0] - nr[0]) / 2)
    inside = np.zeros(a.mask.shape, np.uint8)
    cv2.ellipse(inside, (cx, top), (wide, int(0.6 * wide)), 0, 0, 180, 1, -1)
    inside = inside.astype(bool) & ~a.mask  # the opening, filled by the back panel
    img[inside] = (3, 3, 4)
    found = inner_back(img, a.mask | inside, a.landmarks)
    assert (found & inside).sum() > 0.6 * inside.sum()
    assert (found & ~inside).sum() < 0.05 * found.sum()


def test_a_dark_collar_band_is_not_an_inside():
    img, a = _tee((200, 200, 205))
    lm = a.landmarks
    nl, nr = np.array(lm.neck_left), np.array(lm.neck_right)
    top = np.nonzero(a.mask.any(axis=1))[0][0]
    cx, wide = int((nl[0] + nr[0]) / 2), int(abs(nl[0] - nr[0]) / 2)
    band = np.zeros(a.mask.shape, np.uint8)
    cv2.ellipse(band, (cx, int(top)), (wide, int(0.8 * wide)), 0, 0, 180, 1, max(2, int(0.08 * wide)))
    img[band.astype(bool) & a.mask] = (30, 30, 30)  # ribbing round the neck, on the front
    assert inner_back(img, a.mask, a.landmarks).sum() == 0
