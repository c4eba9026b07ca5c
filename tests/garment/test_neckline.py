"""The inside of a garment seen through its neckline."""

import cv2
import numpy as np

from fitroom.data.render_garment import render_garment
from fitroom.garment import analyze_garment
from fitroom.garment.neckline import inner_back
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
    # most of it (the V's tip is thinner than the clean-up's opening), nothing else
    assert (found & inside).sum() > 0.6 * inside.sum()
    assert (found & ~inside).sum() < 0.05 * found.sum()
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
