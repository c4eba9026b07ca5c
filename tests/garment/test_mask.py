import time

import cv2
import numpy as np
import pytest

from fitroom.errors import FitroomError, NoGarmentError
from fitroom.garment import garment_mask
from fitroom.labels import GarmentCategory

TOPS_AND_DRESSES = (
    GarmentCategory.SHORT_SLEEVE_TOP,
    GarmentCategory.LONG_SLEEVE_TOP,
    GarmentCategory.SLEEVELESS_TOP,
    GarmentCategory.DRESS,
)


def iou(a, b):
    return float((a & b).sum() / max((a | b).sum(), 1))


# --- rendered product photos (exact ground truth) ------------------------------------------
@pytest.mark.parametrize("category", list(GarmentCategory))
def test_mask_matches_rendered_garments(render_cache, category):
    scores = []
    for seed in range(6):
        g = render_cache(category, seed)
        m = garment_mask(g.image)
        assert m.shape == g.mask.shape and m.dtype == bool
        scores.append(iou(m, g.mask))
    assert min(scores) >= 0.97, scores


@pytest.mark.parametrize("category", TOPS_AND_DRESSES)
def test_white_garment_on_white_background(render_cache, category):
    for seed in range(3):
        g = render_cache(category, seed, colour=(247, 247, 245), pattern="solid")
        assert g.image[g.mask].mean() > 225  # really white on white
        assert iou(garment_mask(g.image), g.mask) >= 0.97


def test_small_photos_work_at_their_own_resolution(render_cache):
    for seed in range(4):
        g = render_cache(GarmentCategory.SHORT_SLEEVE_TOP, seed, size=(192, 256))
        assert iou(garment_mask(g.image), g.mask) >= 0.95


def test_analytic_rectangle_on_grey():
    img = np.full((300, 200, 3), 235, np.uint8)
    img[60:240, 50:150] = (30, 90, 160)
    m = garment_mask(img)
    expected = np.zeros((300, 200), bool)
    expected[60:240, 50:150] = True
    assert iou(m, expected) > 0.99


def test_background_with_a_gradient():
    h, w = 400, 300
    ramp = np.linspace(225, 250, h, dtype=np.float32)[:, None, None]
    img = np.repeat(np.repeat(ramp, w, axis=1), 3, axis=2)
    img[100:300, 80:220] = (200, 60, 60)
    m = garment_mask(img.astype(np.uint8))
    expected = np.zeros((h, w), bool)
    expected[100:300, 80:220] = True
    assert iou(m, expected) > 0.98


def test_rgba_cutout_uses_its_alpha():
    rgba = np.zeros((100, 80, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[20:80, 10:70, :3] = (10, 20, 30)
    rgba[20:80, 10:70, 3] = 255
    m = garment_mask(rgba)
    assert m.sum() == 60 * 60 and m[20:80, 10:70].all()


def test_input_is_not_modified(render_cache):
    g = render_cache(GarmentCategory.DRESS, 0, size=(192, 256))
    img = g.image.copy()
    garment_mask(img)
    assert np.array_equal(img, g.image)


def test_speed_on_a_768x1024_photo(render_cache):
    g = render_cache(GarmentCategory.LONG_SLEEVE_TOP, 1)
    garment_mask(g.image)
    t = []
    for _ in range(3):
        t0 = time.perf_counter()
        garment_mask(g.image)
        t.append(time.perf_counter() - t0)
    assert min(t) < 0.1  # about 15 ms on one core; generous for loaded CI machines


# --- error cases ----------------------------------------------------------------------------
def test_noise_is_not_a_garment_photo():
    img = np.random.default_rng(0).integers(0, 256, (240, 180, 3), dtype=np.uint8)
    with pytest.raises(NoGarmentError, match="background"):
        garment_mask(img)


def test_natural_scene_without_plain_background():
    # a "photo": smooth colourful structure everywhere, no plain backdrop
    rng = np.random.default_rng(1)
    small = rng.integers(0, 256, (12, 9, 3), dtype=np.uint8)
    img = cv2.resize(small, (360, 480), interpolation=cv2.INTER_CUBIC)
    img = np.clip(img.astype(np.int16) + rng.integers(-8, 9, img.shape), 0, 255).astype(np.uint8)
    with pytest.raises(NoGarmentError):
        garment_mask(img)


def test_blank_white_image():
    with pytest.raises(NoGarmentError, match="empty"):
        garment_mask(np.full((256, 192, 3), 250, np.uint8))


def test_blank_image_with_jpeg_like_noise():
    rng = np.random.default_rng(2)
    img = np.clip(245 + rng.normal(0, 1.0, (256, 192, 3)), 0, 255).astype(np.uint8)
    with pytest.raises(NoGarmentError):
        garment_mask(img)


def test_object_covering_the_whole_photo():
    img = np.full((200, 150, 3), 240, np.uint8)
    img[3:-3, 3:-3] = (20, 40, 200)  # only a thin frame of backdrop
    with pytest.raises(NoGarmentError, match="covered"):
        garment_mask(img)


def test_errors_are_fitroom_errors_with_a_sentence():
    with pytest.raises(FitroomError) as e:
        garment_mask(np.full((64, 64, 3), 255, np.uint8))
    assert str(e.value).endswith(".") and len(str(e.value)) > 20


def test_bad_shapes_raise_value_error():
    with pytest.raises(ValueError):
        garment_mask(np.zeros((10, 10, 2), np.uint8))
    with pytest.raises(TypeError):
        garment_mask([[0, 1], [1, 0]])


# --- real product photos ---------------------------------------------------------------------
# Measured with this method: viton256 mean 0.959 (000001, two garments of which one is cut
# by the border and a poor ground-truth mask: 0.86), dress256 mean 0.985 (min 0.92),
# hd mean 0.994 (min 0.988). The bounds below are a little looser, and still fail on a
# method that is one pixel off everywhere or loses a white garment.
@pytest.mark.realdata
@pytest.mark.parametrize(
    ("subset", "mean_min", "min_min"),
    [("viton256_paired", 0.94, 0.8), ("dress256_paired", 0.97, 0.88), ("hd_unpaired", 0.985, 0.975)],
)
def test_real_masks_against_ground_truth(real_items, real_masks, subset, mean_min, min_min):
    items = real_items(subset)
    assert items
    masks = real_masks(subset)
    scores = {name: iou(masks[name], gt) for name, _, gt in items}
    mean = float(np.mean(list(scores.values())))
    print(f"{subset}: mean IoU {mean:.4f}, min {min(scores.values()):.4f}", scores)
    assert mean >= mean_min, scores
    assert min(scores.values()) >= min_min, scores


@pytest.mark.realdata
def test_real_white_top_on_white(real_items, real_masks):
    """viton 000020 is a white blouse on a white background."""
    items = {name: gt for name, _, gt in real_items("viton256_paired")}
    m = real_masks("viton256_paired")["000020_1"]
    assert iou(m, items["000020_1"]) >= 0.97
