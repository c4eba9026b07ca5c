"""Everyday measures on constructed images whose answer is known."""

import cv2
import numpy as np
import pytest

from fitroom.eval.everyday import kept_body, seam_step, skin_delta_e, sleeve_iou
from fitroom.labels import Cihp


def _scene():
    img = np.full((100, 100, 3), 200, np.uint8)
    parse = np.zeros((100, 100), np.uint8)
    parse[20:80, 10:30] = Cihp.LEFT_ARM
    img[20:80, 10:30] = (190, 140, 120)
    return img, parse


def test_an_unchanged_arm_is_kept_body_one():
    img, parse = _scene()
    out = img.copy()
    out[40:60, 50:90] = 0  # the garment changed elsewhere
    assert kept_body(img, out, parse, covered=np.zeros((100, 100), bool)) == 1.0


def test_a_repainted_arm_counts_only_where_the_garment_does_not_cover_it():
    img, parse = _scene()
    out = img.copy()
    out[20:50, 10:30] = (230, 200, 90)  # half the arm repainted (rows 20..49)
    cov = np.zeros((100, 100), bool)
    # eroded by 2 px: rows 22..77, cols 12..27; rows 22..49 changed -> 28 of 56 rows
    assert kept_body(img, out, parse, cov) == pytest.approx(28 / 56)
    cov[20:50] = True  # a sleeve over the repainted half: nothing the garment covers counts
    assert kept_body(img, out, parse, cov) == 1.0
    assert kept_body(img, out, np.zeros_like(parse), cov) is None


def test_a_sleeve_the_parse_called_an_arm_is_not_kept_body_when_skin_is_given():
    img, parse = _scene()
    img[20:50, 10:30] = (40, 40, 120)  # the upper half of the "arm" is a navy sleeve
    out = img.copy()
    out[20:50, 10:30] = (190, 140, 120)  # made anew as skin, rightly
    cov = np.zeros((100, 100), bool)
    assert kept_body(img, out, parse, cov) == pytest.approx(28 / 56)
    skin = np.zeros((100, 100), bool)
    skin[50:80, 10:30] = True  # what is coloured like skin
    assert kept_body(img, out, parse, cov, skin=skin) == 1.0


def test_skin_delta_e_is_zero_for_the_same_colour_and_grows_with_a_cast():
    ref = np.tile(np.array([[190, 140, 120]], np.uint8), (100, 1))
    img = np.full((50, 50, 3), (190, 140, 120), np.uint8)
    made = np.zeros((50, 50), bool)
    made[10:40, 10:40] = True
    assert skin_delta_e(img, made, ref) == pytest.approx(0.0, abs=1e-6)
    yellow = img.copy()
    yellow[made] = (205, 170, 90)
    assert skin_delta_e(yellow, made, ref) > 10
    assert skin_delta_e(img, np.zeros_like(made), ref) is None


def test_a_pasted_grey_disc_gives_its_luminance_step():
    img = np.full((120, 120, 3), 200, np.uint8)
    disc = np.zeros((120, 120), np.uint8)
    cv2.circle(disc, (60, 60), 25, 1, -1)
    disc = disc.astype(bool)
    out = img.copy()
    out[disc] = 128
    real = ~disc
    st = seam_step(out, disc, [(disc, real)])
    assert st["seam"] == pytest.approx(72.0, abs=1e-3)  # 200 - 128, on every boundary pair
    assert st["band"] == pytest.approx(0.0) and st["ratio"] == pytest.approx(72.0 / 0.5)
    # filled with the backdrop's own value: no seam at all
    st = seam_step(img, disc, [(disc, real)])
    assert st["seam"] == pytest.approx(0.0) and st["ratio"] == pytest.approx(0.0)


def test_a_seam_on_a_textured_photo_is_compared_with_the_photo_itself():
    rng = np.random.default_rng(0)
    img = np.clip(rng.normal(150, 8, (120, 120, 1)), 0, 255).repeat(3, 2).astype(np.uint8)
    disc = np.zeros((120, 120), bool)
    disc[40:80, 40:80] = True
    st = seam_step(img, disc, [(disc, ~disc)])  # the photo untouched: as visible as any line
    assert st["ratio"] == pytest.approx(1.0, abs=0.15)
    out = img.copy()
    out[disc] = 150  # a flat fill of the right mean: the step is the texture's, a little less
    assert seam_step(out, disc, [(disc, ~disc)])["ratio"] < 1.0
    # made skin against real background is an outline, not a seam: not counted
    assert seam_step(out, disc, [(disc, np.zeros_like(disc))])["seam"] is None


def test_sleeve_iou():
    a = np.zeros((10, 10), bool)
    b = a.copy()
    a[:, :4] = True
    b[:, 2:6] = True
    assert sleeve_iou(a, b) == pytest.approx(2 / 6)
    assert sleeve_iou(np.zeros_like(a), np.zeros_like(a)) is None
