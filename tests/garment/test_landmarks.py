import numpy as np
import pytest

from fitroom.errors import NoGarmentError
from fitroom.garment import LANDMARK_NAMES, GarmentLandmarks, detect_landmarks, garment_mask
from fitroom.labels import GarmentCategory

TOPS_AND_DRESSES = (
    GarmentCategory.SHORT_SLEEVE_TOP,
    GarmentCategory.LONG_SLEEVE_TOP,
    GarmentCategory.SLEEVELESS_TOP,
    GarmentCategory.DRESS,
)


def _example() -> GarmentLandmarks:
    pts = np.arange(2 * len(LANDMARK_NAMES), dtype=np.float64).reshape(-1, 2)
    return GarmentLandmarks.from_array(pts, has_sleeves=True)


def _errors(pred: GarmentLandmarks, true: GarmentLandmarks) -> np.ndarray:
    """Per-point error divided by the chest width (armpit to armpit)."""
    chest = abs(true.armpit_left[0] - true.armpit_right[0])
    return np.linalg.norm(pred.as_array() - true.as_array(), axis=1) / chest


# --- the dataclass -------------------------------------------------------------------------
def test_names_and_array_order():
    lm = _example()
    arr = lm.as_array()
    assert arr.shape == (13, 2) and arr.dtype == np.float32
    assert GarmentLandmarks.names() == LANDMARK_NAMES
    for i, name in enumerate(LANDMARK_NAMES):
        assert tuple(arr[i]) == getattr(lm, name)
    assert GarmentLandmarks.from_array(arr, has_sleeves=True) == lm


def test_flipped_mirrors_and_swaps_sides():
    lm = _example()
    f = lm.flipped(100)
    assert f.neck_left == (100 - 1 - lm.neck_right[0], lm.neck_right[1])
    assert f.sleeve_right_inner == (99 - lm.sleeve_left_inner[0], lm.sleeve_left_inner[1])
    assert f.neck_front == (99 - lm.neck_front[0], lm.neck_front[1])
    assert f.flipped(100) == lm  # an involution


def test_flipped_matches_a_mirrored_mask(render_cache):
    g = render_cache(GarmentCategory.SHORT_SLEEVE_TOP, 2, size=(384, 512))
    a = detect_landmarks(g.mask).flipped(384)
    b = detect_landmarks(g.mask[:, ::-1])
    assert np.abs(a.as_array() - b.as_array()).max() <= 4.0


def test_scaled_and_resized():
    lm = _example()
    s = lm.scaled(2.0, 0.5)
    np.testing.assert_allclose(s.as_array(), lm.as_array() * [2.0, 0.5])
    r = lm.resized((100, 200), (200, 400))
    np.testing.assert_allclose(r.as_array(), (lm.as_array() + 0.5) * 2 - 0.5)
    np.testing.assert_allclose(r.resized((200, 400), (100, 200)).as_array(), lm.as_array(), atol=1e-5)


def test_rejects_bad_points():
    with pytest.raises(ValueError):
        GarmentLandmarks.from_array(np.zeros((12, 2)))
    with pytest.raises(ValueError):
        GarmentLandmarks(*([(0, 0)] * 12), hem_right="x")  # type: ignore[arg-type]


def test_frozen():
    lm = _example()
    with pytest.raises(AttributeError):
        lm.neck_left = (0.0, 0.0)  # type: ignore[misc]


# --- detection on rendered garments (exact ground truth) ----------------------------------------
@pytest.mark.parametrize("category", TOPS_AND_DRESSES)
def test_detected_landmarks_match_the_construction(render_cache, category):
    errs = []
    for seed in range(10):
        g = render_cache(category, seed, size=(384, 512))
        lm = detect_landmarks(g.mask)
        assert lm.has_sleeves == category.has_sleeves or category == GarmentCategory.DRESS
        errs.append(_errors(lm, g.landmarks))
    errs = np.array(errs)
    assert np.median(errs) < 0.02, np.median(errs, axis=0)
    assert errs.mean() < 0.03
    assert errs.max() < 0.2, {LANDMARK_NAMES[i]: errs[:, i].max() for i in range(13)}


@pytest.mark.parametrize("category", TOPS_AND_DRESSES)
def test_landmarks_from_the_photo_mask(render_cache, category):
    """End to end on 768x1024 photos: garment_mask then detect_landmarks.

    Errors are relative to the garment's width here. The mask fills the tip of the narrow
    V between a hanging sleeve and the torso, so those armpits come out somewhat low.
    """
    errs = []
    for seed in range(3):
        g = render_cache(category, seed)
        lm = detect_landmarks(garment_mask(g.image))
        assert lm.has_sleeves == g.landmarks.has_sleeves
        xs = np.nonzero(g.mask.any(axis=0))[0]
        width = xs[-1] - xs[0] + 1
        errs.append(np.linalg.norm(lm.as_array() - g.landmarks.as_array(), axis=1) / width)
    errs = np.array(errs)
    assert errs.mean() < 0.03 and errs.max() < 0.15, errs.max(axis=0)


def test_hanging_long_sleeves(render_cache):
    """Sleeves hanging beside the torso: the armpits are the tops of the gaps."""
    found = 0
    for seed in range(12):
        g = render_cache(GarmentCategory.LONG_SLEEVE_TOP, seed, size=(384, 512))
        lm = g.landmarks
        if abs(lm.sleeve_left_outer[0] - lm.shoulder_left[0]) > 0.3 * abs(lm.sleeve_left_outer[1] - lm.shoulder_left[1]):
            continue  # spread sleeve
        found += 1
        assert _errors(detect_landmarks(g.mask), lm)[5:7].max() < 0.1
    assert found >= 3


def test_wearer_left_is_on_the_image_right(render_cache):
    g = render_cache(GarmentCategory.LONG_SLEEVE_TOP, 3, size=(384, 512))
    lm = detect_landmarks(g.mask)
    for a, b in [("neck_left", "neck_right"), ("armpit_left", "armpit_right"),
                 ("sleeve_left_outer", "sleeve_right_outer"), ("hem_left", "hem_right")]:
        assert getattr(lm, a)[0] > getattr(lm, b)[0]


def test_sleeveless_sleeve_points_sit_at_the_armhole(render_cache):
    g = render_cache(GarmentCategory.SLEEVELESS_TOP, 0, size=(384, 512))
    lm = detect_landmarks(g.mask)
    assert not lm.has_sleeves
    assert lm.sleeve_left_outer == lm.shoulder_left and lm.sleeve_left_inner == lm.armpit_left


def test_works_at_any_scale(render_cache):
    g = render_cache(GarmentCategory.DRESS, 4, size=(768, 1024))
    lm = detect_landmarks(g.mask)
    assert _errors(lm, g.landmarks).max() < 0.1


def test_empty_mask_raises():
    with pytest.raises(NoGarmentError):
        detect_landmarks(np.zeros((64, 48), bool))


def test_odd_shapes_do_not_crash():
    m = np.zeros((200, 150), bool)
    m[50:150, 40:110] = True  # a plain rectangle
    lm = detect_landmarks(m)
    assert lm.as_array().shape == (13, 2)
    with pytest.raises(ValueError):
        detect_landmarks(np.zeros((4, 4, 3)))


# --- real photos ----------------------------------------------------------------------------------
@pytest.mark.realdata
@pytest.mark.parametrize("subset", ["viton256_paired", "dress256_paired", "hd_unpaired"])
def test_real_landmarks_are_in_anatomical_order(real_items, real_masks, subset):
    skip = {"000001_1"}  # two garments in one photo
    for name, _, _ in real_items(subset):
        if name in skip:
            continue
        m = real_masks(subset)[name]
        lm = detect_landmarks(m)
        h = m.shape[0]
        neck_y = min(lm.neck_left[1], lm.neck_right[1])
        assert lm.neck_left[0] > lm.neck_front[0] > lm.neck_right[0], name
        assert neck_y <= lm.armpit_left[1] < lm.hem_left[1], name
        assert neck_y <= lm.armpit_right[1] < lm.hem_right[1], name
        assert lm.armpit_left[0] > lm.armpit_right[0] and lm.hem_left[0] > lm.hem_right[0], name
        assert lm.hem_left[1] > 0.6 * h and neck_y < 0.4 * h, name
        # every point lies on or near the garment
        ys, xs = np.nonzero(m)
        for x, y in lm.as_array():
            assert np.min(np.hypot(xs - x, ys - y)) <= 0.02 * h + 2, (name, x, y)
