import numpy as np
import pytest

from fitroom.errors import FitroomError, NoGarmentError, UnsupportedGarmentError
from fitroom.garment import GarmentAnalysis, analyze_garment, split_sleeves
from fitroom.labels import GarmentCategory


def iou(a, b):
    return float((a & b).sum() / max((a | b).sum(), 1))


@pytest.mark.parametrize(
    "category",
    [GarmentCategory.SHORT_SLEEVE_TOP, GarmentCategory.LONG_SLEEVE_TOP, GarmentCategory.SLEEVELESS_TOP,
     GarmentCategory.DRESS],
)
def test_analysis_of_rendered_photos(render_cache, category):
    for seed in range(2):
        g = render_cache(category, seed)
        a = analyze_garment(g.image)
        assert isinstance(a, GarmentAnalysis)
        assert a.category == category
        assert a.image.shape == g.image.shape and a.image.dtype == np.uint8
        assert a.size == (768, 1024)
        assert iou(a.mask, g.mask) >= 0.97
        left, right = a.sleeve_masks
        # a partition of the mask
        assert not (a.torso_mask & left).any() and not (a.torso_mask & right).any() and not (left & right).any()
        assert np.array_equal(a.torso_mask | left | right, a.mask)
        if category.has_sleeves:
            assert left.sum() > 0.02 * a.mask.sum() and right.sum() > 0.02 * a.mask.sum()
            # the wearer's left sleeve is on the image right
            assert np.nonzero(left)[1].mean() > np.nonzero(right)[1].mean()
        elif category == GarmentCategory.SLEEVELESS_TOP:
            assert not left.any() and not right.any()


@pytest.mark.parametrize("category", [GarmentCategory.SHORT_SLEEVE_TOP, GarmentCategory.LONG_SLEEVE_TOP])
def test_sleeve_split_matches_the_construction(render_cache, category):
    for seed in range(6):
        g = render_cache(category, seed, size=(384, 512))
        torso, (left, right) = split_sleeves(g.mask, g.landmarks)
        assert iou(torso, g.torso_mask) > 0.93, seed
        assert iou(left, g.sleeve_masks[0]) > 0.75, seed
        assert iou(right, g.sleeve_masks[1]) > 0.75, seed


def test_given_mask_is_used(render_cache):
    g = render_cache(GarmentCategory.SHORT_SLEEVE_TOP, 1)
    a = analyze_garment(g.image, mask=g.mask)
    assert np.array_equal(a.mask, g.mask)
    assert a.category == GarmentCategory.SHORT_SLEEVE_TOP


@pytest.mark.parametrize(("category", "word"), [(GarmentCategory.TROUSERS, "trousers"), (GarmentCategory.SKIRT, "skirt")])
def test_bottoms_are_refused(render_cache, category, word):
    g = render_cache(category, 0)
    with pytest.raises(UnsupportedGarmentError, match=f"looks like .*{word}.*only tops and dresses"):
        analyze_garment(g.image)


def test_noise_is_refused():
    img = np.random.default_rng(3).integers(0, 256, (200, 150, 3), dtype=np.uint8)
    with pytest.raises(NoGarmentError):
        analyze_garment(img)


def test_empty_given_mask_is_refused(render_cache):
    g = render_cache(GarmentCategory.DRESS, 0, size=(192, 256))
    with pytest.raises(NoGarmentError):
        analyze_garment(g.image, mask=np.zeros(g.mask.shape, bool))


def test_mask_of_the_wrong_shape():
    with pytest.raises(ValueError):
        analyze_garment(np.full((100, 80, 3), 255, np.uint8), mask=np.ones((10, 10), bool))


def test_errors_share_the_fitroom_base(render_cache):
    g = render_cache(GarmentCategory.TROUSERS, 1, size=(192, 256))
    with pytest.raises(FitroomError) as e:
        analyze_garment(g.image)
    assert e.value.code == "unsupported_garment"


def test_analysis_is_frozen(render_cache):
    g = render_cache(GarmentCategory.DRESS, 2, size=(192, 256))
    a = analyze_garment(g.image)
    with pytest.raises(AttributeError):
        a.category = GarmentCategory.SKIRT  # type: ignore[misc]


@pytest.mark.realdata
def test_real_tops_split_into_torso_and_sleeves(real_items, real_masks):
    for name, img, _ in real_items("hd_unpaired"):
        a = analyze_garment(img, mask=real_masks("hd_unpaired")[name])
        left, right = a.sleeve_masks
        assert np.array_equal(a.torso_mask | left | right, a.mask)
        if a.category.has_sleeves:
            assert 0.005 < left.sum() / a.mask.sum() < 0.35, name
            assert 0.005 < right.sum() / a.mask.sum() < 0.35, name
            assert a.torso_mask.sum() > 0.5 * a.mask.sum(), name


def test_an_outline_that_is_not_one_upright_garment_is_rejected_clearly():
    from fitroom.data.render_garment import render_garment
    from fitroom.garment.analyze import _check_layout

    g = render_garment(GarmentCategory.SHORT_SLEEVE_TOP, seed=1, size=(400, 500))
    _check_layout(g.mask, g.landmarks)  # a real tee passes
    bad = g.landmarks.__class__(**{**g.landmarks.as_dict(), "armpit_left": g.landmarks.armpit_right,
                                   "has_sleeves": True})
    with pytest.raises(UnsupportedGarmentError, match="single upright top or dress"):
        _check_layout(g.mask, bad)
    upside_down = g.landmarks.flipped(400).scaled(1.0, -1.0).translated(0, 500)
    with pytest.raises(UnsupportedGarmentError, match="single upright top or dress"):
        _check_layout(g.mask, upside_down)


@pytest.mark.realdata
def test_a_photo_of_two_tops_is_rejected_clearly(realdata):
    """viton256 000001_1 shows a white and a black top overlapping ("pack of two")."""
    from fitroom.imaging import load_image

    with pytest.raises(UnsupportedGarmentError, match="single upright top or dress"):
        analyze_garment(load_image(realdata / "viton256_paired" / "cloth" / "000001_1.jpg"))
