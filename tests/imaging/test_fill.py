import numpy as np

from fitroom.imaging.fill import pushpull_fill


def test_known_pixels_unchanged_and_holes_smoothly_filled():
    img = np.zeros((64, 64, 3), np.float32)
    img[:, :32] = 100
    img[:, 32:] = 200
    known = np.ones((64, 64), bool)
    known[20:44, 20:44] = False
    out = pushpull_fill(img, known)
    np.testing.assert_array_equal(out[known], img[known])
    # inside the hole: between the two sides' values, increasing left to right
    row = out[32, 20:44, 0]
    assert row.min() >= 100 - 1e-3 and row.max() <= 200 + 1e-3
    assert row[-1] > row[0]


def test_unknown_pixels_never_leak():
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 255, (50, 40, 3)).astype(np.float32)
    known = rng.random((50, 40)) > 0.5
    other = img.copy()
    other[~known] = rng.uniform(0, 255, (int((~known).sum()), 3))
    np.testing.assert_allclose(pushpull_fill(img, known), pushpull_fill(other, known))


def test_grayscale_and_constant_image():
    img = np.full((10, 12), 7.0, np.float32)
    known = np.zeros((10, 12), bool)
    known[0, 0] = True
    np.testing.assert_allclose(pushpull_fill(img, known), 7.0)
