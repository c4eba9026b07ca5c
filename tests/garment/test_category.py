import numpy as np
import pytest

from fitroom.errors import NoGarmentError
from fitroom.garment import GarmentLandmarks, classify_garment, detect_landmarks, garment_mask, measure_shape
from fitroom.garment.category import GarmentShape, category_from_shape
from fitroom.labels import GarmentCategory


@pytest.mark.parametrize("category", list(GarmentCategory))
def test_every_rendered_garment_is_classified_right(render_cache, category):
    wrong = []
    for seed in range(25):
        g = render_cache(category, seed, size=(192, 256))
        got = classify_garment(g.mask, detect_landmarks(g.mask))
        if got != category:
            wrong.append((seed, got))
    assert not wrong


@pytest.mark.parametrize("category", list(GarmentCategory))
def test_classification_from_the_photo(render_cache, category):
    """End to end: the photo's own mask, at 384x512."""
    for seed in range(8):
        g = render_cache(category, seed, size=(384, 512))
        m = garment_mask(g.image)
        assert classify_garment(m, detect_landmarks(m)) == category, seed


def test_invariant_to_scale_and_mirroring(render_cache):
    g = render_cache(GarmentCategory.LONG_SLEEVE_TOP, 5, size=(384, 512))
    for m in (g.mask, g.mask[:, ::-1], g.mask[::2, ::2], np.kron(g.mask, np.ones((2, 2), bool))):
        m = np.ascontiguousarray(m)
        assert classify_garment(m, detect_landmarks(m)) == GarmentCategory.LONG_SLEEVE_TOP


def test_decision_rules():
    base = dict(waistband_fill=0.6, top_width=0.5, side_notch=0.15, crotch_gap=0.0, flare=1.0)
    assert category_from_shape(GarmentShape(**base, length_ratio=1.5, sleeve_ratio=0.4, has_sleeves=True)) \
        == GarmentCategory.SHORT_SLEEVE_TOP
    assert category_from_shape(GarmentShape(**base, length_ratio=1.5, sleeve_ratio=1.3, has_sleeves=True)) \
        == GarmentCategory.LONG_SLEEVE_TOP
    assert category_from_shape(GarmentShape(**base, length_ratio=1.5, sleeve_ratio=0.0, has_sleeves=False)) \
        == GarmentCategory.SLEEVELESS_TOP
    # long and sleeved, or very long: a dress; long, sleeveless and straight: a top
    assert category_from_shape(GarmentShape(**base, length_ratio=2.2, sleeve_ratio=0.4, has_sleeves=True)) \
        == GarmentCategory.DRESS
    assert category_from_shape(GarmentShape(**base, length_ratio=2.2, sleeve_ratio=0.0, has_sleeves=False)) \
        == GarmentCategory.SLEEVELESS_TOP
    assert category_from_shape(GarmentShape(**base, length_ratio=2.7, sleeve_ratio=0.0, has_sleeves=False)) \
        == GarmentCategory.DRESS
    bottom = dict(base, waistband_fill=1.0, top_width=0.9, side_notch=0.0)
    assert category_from_shape(GarmentShape(**{**bottom, "crotch_gap": 0.6}, length_ratio=3.0, sleeve_ratio=0.0,
                                            has_sleeves=False)) == GarmentCategory.TROUSERS
    assert category_from_shape(GarmentShape(**bottom, length_ratio=1.2, sleeve_ratio=0.0, has_sleeves=False)) \
        == GarmentCategory.SKIRT
    # a gap at the bottom as wide as a torso is the torso between two hanging sleeves
    assert category_from_shape(GarmentShape(**{**bottom, "crotch_gap": 0.2, "side_notch": 0.8}, crotch_width=0.8,
                                            length_ratio=1.7, sleeve_ratio=1.6, has_sleeves=True)) \
        == GarmentCategory.LONG_SLEEVE_TOP


def test_a_top_with_a_straight_high_neckline_and_hanging_sleeves_is_not_trousers():
    # the render that was once refused as trousers: the sleeves hang like two legs
    from fitroom.data.render_garment import render_garment
    from fitroom.garment import analyze_garment

    g = analyze_garment(render_garment(GarmentCategory.LONG_SLEEVE_TOP, size=(384, 512), seed=901112).image)
    assert g.category == GarmentCategory.LONG_SLEEVE_TOP


def test_empty_mask_raises():
    lm = GarmentLandmarks.from_array(np.zeros((13, 2)))
    with pytest.raises(NoGarmentError):
        classify_garment(np.zeros((30, 20), bool), lm)


def test_measure_shape_is_unitless(render_cache):
    g = render_cache(GarmentCategory.DRESS, 1, size=(384, 512))
    small = np.ascontiguousarray(g.mask[::2, ::2])
    a = measure_shape(g.mask, detect_landmarks(g.mask))
    b = measure_shape(small, detect_landmarks(small))
    assert abs(a.length_ratio - b.length_ratio) < 0.15


# --- real photos ----------------------------------------------------------------------------------
# Checked by eye. viton256 000001 shows two tops (a white one in front of a black long-sleeve
# one, cut by the border) and is left out.
REAL_TOPS = {
    ("viton256_paired", "000010_1"): GarmentCategory.LONG_SLEEVE_TOP,  # bell sleeves
    ("viton256_paired", "000020_1"): GarmentCategory.SHORT_SLEEVE_TOP,  # white, tie sleeves
    ("viton256_paired", "001744_1"): GarmentCategory.LONG_SLEEVE_TOP,  # tunic, sleeves hanging
    ("viton256_paired", "003491_1"): GarmentCategory.SHORT_SLEEVE_TOP,  # cap sleeves
    ("hd_unpaired", "06802_00"): GarmentCategory.SHORT_SLEEVE_TOP,
    ("hd_unpaired", "07429_00"): GarmentCategory.SHORT_SLEEVE_TOP,  # elbow-length lace
    ("hd_unpaired", "08348_00"): GarmentCategory.SLEEVELESS_TOP,  # camisole
    ("hd_unpaired", "09933_00"): GarmentCategory.SLEEVELESS_TOP,  # camisole
    ("hd_unpaired", "11028_00"): GarmentCategory.SHORT_SLEEVE_TOP,  # elbow-length, turtleneck
    ("hd_unpaired", "11351_00"): GarmentCategory.SHORT_SLEEVE_TOP,
    ("hd_unpaired", "11791_00"): GarmentCategory.SHORT_SLEEVE_TOP,
}


@pytest.mark.realdata
def test_real_tops(real_masks):
    wrong = {}
    for (subset, name), expected in REAL_TOPS.items():
        m = real_masks(subset)[name]
        got = classify_garment(m, detect_landmarks(m))
        if got != expected:
            wrong[name] = (expected.value, got.value)
    assert not wrong


@pytest.mark.realdata
def test_real_dresses(real_items, real_masks):
    got = {}
    for name, _, _ in real_items("dress256_paired"):
        m = real_masks("dress256_paired")[name]
        got[name] = classify_garment(m, detect_landmarks(m))
    accuracy = np.mean([c == GarmentCategory.DRESS for c in got.values()])
    print(f"dresses classified as dress: {accuracy:.0%}", {k: v.value for k, v in got.items()})
    # measured 19/20: 003 (off-the-shoulder, with long sleeves) reads as a top
    assert accuracy >= 0.9
    assert not any(c.is_bottom for c in got.values())
