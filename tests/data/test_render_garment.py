import time

import cv2
import numpy as np
import pytest

from fitroom.data.render_garment import EXAMPLES, PATTERNS, RenderedGarment, render_examples, render_garment
from fitroom.garment import GarmentLandmarks
from fitroom.labels import GarmentCategory


@pytest.mark.parametrize("category", list(GarmentCategory))
def test_shapes_and_types(category):
    g = render_garment(category, seed=0, size=(192, 256))
    assert isinstance(g, RenderedGarment)
    assert g.image.shape == (256, 192, 3) and g.image.dtype == np.uint8
    assert g.mask.shape == (256, 192) and g.mask.dtype == bool
    assert g.category == category
    assert isinstance(g.landmarks, GarmentLandmarks)
    assert g.landmarks.has_sleeves == category.has_sleeves
    assert 0.05 < g.mask.mean() < 0.8
    # nothing of the garment touches the border
    assert not g.mask[0].any() and not g.mask[-1].any() and not g.mask[:, 0].any() and not g.mask[:, -1].any()


def test_default_size_is_768x1024():
    g = render_garment(GarmentCategory.DRESS, seed=1)
    assert g.image.shape == (1024, 768, 3)


def test_deterministic_for_a_seed():
    a = render_garment(GarmentCategory.SHORT_SLEEVE_TOP, seed=7, size=(192, 256))
    b = render_garment(GarmentCategory.SHORT_SLEEVE_TOP, seed=7, size=(192, 256))
    assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask)
    assert a.landmarks == b.landmarks
    c = render_garment(GarmentCategory.SHORT_SLEEVE_TOP, seed=8, size=(192, 256))
    assert not np.array_equal(a.mask, c.mask)


def test_parts_partition_the_mask():
    for category in (GarmentCategory.LONG_SLEEVE_TOP, GarmentCategory.SHORT_SLEEVE_TOP, GarmentCategory.SKIRT):
        g = render_garment(category, seed=3, size=(384, 512))
        left, right = g.sleeve_masks
        assert np.array_equal(g.torso_mask | left | right, g.mask)
        assert not (left & right).any() and not (g.torso_mask & left).any()
        if category.has_sleeves:
            assert left.any() and right.any()
            assert np.nonzero(left)[1].mean() > np.nonzero(right)[1].mean()  # wearer's left on image right
        else:
            assert not left.any() and not right.any()


def test_landmarks_lie_on_the_garment():
    for category in GarmentCategory:
        for seed in range(3):
            g = render_garment(category, seed=seed, size=(384, 512))
            ys, xs = np.nonzero(g.mask)
            for x, y in g.landmarks.as_array():
                assert np.min(np.hypot(xs - x, ys - y)) < 4.0, (category, seed, x, y)
            lm = g.landmarks
            assert lm.neck_left[0] > lm.neck_right[0] and lm.hem_left[0] > lm.hem_right[0]


def test_background_is_light_and_garment_is_shaded():
    g = render_garment(GarmentCategory.SHORT_SLEEVE_TOP, seed=2, size=(384, 512), colour=(30, 90, 160), pattern="solid")
    bg = g.image[~g.mask]
    assert bg.mean() > 225
    inside = g.image[g.mask].astype(np.float32)
    assert inside.std(axis=0).max() > 2.0  # folds and darker edges, not a flat fill


@pytest.mark.parametrize("pattern", PATTERNS)
def test_patterns(pattern):
    g = render_garment(GarmentCategory.DRESS, seed=4, size=(384, 512), colour=(200, 40, 40), pattern=pattern)
    er = cv2.erode(g.mask.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    spread = g.image[er].astype(np.float32).std(axis=0).max()
    if pattern == "solid":
        assert spread < 20
    else:
        assert spread > 20
    assert g.pattern == pattern


def test_white_on_white_occurs_and_is_white():
    whites = [s for s in range(40)
              if render_garment(GarmentCategory.SHORT_SLEEVE_TOP, seed=s, size=(96, 128)).colour[0] > 235]
    assert whites  # about one in eight
    g = render_garment(GarmentCategory.SHORT_SLEEVE_TOP, seed=whites[0], size=(192, 256))
    assert g.image[g.mask].mean() > 200 and g.image[~g.mask].mean() > 235


def test_bad_arguments():
    with pytest.raises(ValueError):
        render_garment(GarmentCategory.DRESS, seed=0, pattern="paisley")
    with pytest.raises(ValueError):
        render_garment("jumpsuit", seed=0)
    with pytest.raises(ValueError):
        render_garment(GarmentCategory.DRESS, seed=0, size=(10, 10))


def test_speed():
    render_garment(GarmentCategory.LONG_SLEEVE_TOP, seed=0)
    t = []
    for seed in range(3):
        t0 = time.perf_counter()
        render_garment(GarmentCategory.LONG_SLEEVE_TOP, seed=seed)
        t.append(time.perf_counter() - t0)
    assert min(t) < 0.2  # about 40 ms on one core


def test_render_examples(tmp_path):
    paths = render_examples(tmp_path)
    assert [p.stem for p in paths] == list(EXAMPLES)
    for p in paths:
        assert p.suffix in (".png", ".jpg")
        assert p.stat().st_size < 400_000
        img = cv2.imread(str(p))
        assert img.shape == (1024, 768, 3)
