"""Tests for fitroom.imaging.color: known CIELAB values, round trips, luma."""

from __future__ import annotations

import numpy as np
import pytest

from fitroom.imaging import lab_to_rgb, luminance, rgb_to_lab


def px(*rgb: int) -> np.ndarray:
    return np.array([[rgb]], dtype=np.uint8)


@pytest.mark.parametrize(
    ("rgb", "lab"),
    [
        ((255, 255, 255), (100.0, 0.0, 0.0)),
        ((0, 0, 0), (0.0, 0.0, 0.0)),
        ((255, 0, 0), (53.24, 80.09, 67.20)),  # sRGB red, D65 (reference values)
        ((0, 255, 0), (87.73, -86.18, 83.18)),
        ((0, 0, 255), (32.30, 79.19, -107.86)),
        ((128, 128, 128), (53.59, 0.0, 0.0)),
    ],
)
def test_rgb_to_lab_known_values(rgb: tuple, lab: tuple) -> None:
    out = rgb_to_lab(px(*rgb))
    assert out.dtype == np.float32 and out.shape == (1, 1, 3)
    np.testing.assert_allclose(out[0, 0], lab, atol=0.6)


def test_lab_round_trip() -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    before = img.copy()
    back = lab_to_rgb(rgb_to_lab(img))
    np.testing.assert_array_equal(img, before)
    assert back.dtype == np.uint8 and back.shape == img.shape
    assert np.abs(back.astype(int) - img).max() <= 1


def test_lab_to_rgb_clips_out_of_gamut() -> None:
    lab = np.array([[[50.0, 127.0, -127.0], [100.0, 0.0, 0.0]]], dtype=np.float32)
    out = lab_to_rgb(lab)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, 1], (255, 255, 255))
    lab64 = rgb_to_lab(px(10, 200, 30)).astype(np.float64)  # other float dtypes accepted
    np.testing.assert_allclose(lab_to_rgb(lab64)[0, 0], (10, 200, 30), atol=1)


def test_luminance_rec601() -> None:
    img = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0]]], np.uint8)
    out = luminance(img)
    assert out.dtype == np.float32 and out.shape == (1, 5)
    np.testing.assert_allclose(out[0], [0.299, 0.587, 0.114, 1.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("fn", [rgb_to_lab, luminance])
@pytest.mark.parametrize(
    "bad",
    [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 4), np.uint8), np.zeros((4, 4, 3), np.float32)],
)
def test_bad_rgb_input(fn, bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        fn(bad)


def test_bad_lab_input() -> None:
    with pytest.raises(ValueError, match="HxWx3 Lab"):
        lab_to_rgb(np.zeros((4, 4), np.float32))
