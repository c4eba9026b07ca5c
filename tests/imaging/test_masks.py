"""Tests for fitroom.imaging.masks: analytic cases, purity and errors."""

from __future__ import annotations

import numpy as np
import pytest

from fitroom.imaging import (
    bbox,
    dilate,
    erode,
    feather,
    fill_holes,
    largest_component,
    mask_iou,
    remove_small_components,
)


def disc(radius: float, shape: tuple[int, int] = (101, 101), centre=(50, 50)) -> np.ndarray:
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (y - centre[0]) ** 2 + (x - centre[1]) ** 2 <= radius**2


def blobs() -> np.ndarray:
    """Three separate squares of areas 400, 100 and 4."""
    m = np.zeros((60, 60), bool)
    m[5:25, 5:25] = True
    m[40:50, 40:50] = True
    m[2:4, 50:52] = True
    return m


ALL = [
    lambda m: largest_component(m),
    lambda m: remove_small_components(m, 0.5),
    lambda m: fill_holes(m),
    lambda m: dilate(m, 2),
    lambda m: erode(m, 2),
    lambda m: feather(m, 3),
    lambda m: bbox(m),
    lambda m: mask_iou(m, m),
]


@pytest.mark.parametrize("fn", ALL)
@pytest.mark.parametrize("dtype", [bool, np.uint8])
def test_inputs_are_never_modified(fn, dtype) -> None:
    m = blobs().astype(dtype) * (1 if dtype is bool else 255)
    before = m.copy()
    fn(m)
    np.testing.assert_array_equal(m, before)


@pytest.mark.parametrize("fn", ALL)
def test_empty_masks(fn) -> None:
    empty = np.zeros((7, 9), bool)
    out = fn(empty)
    if isinstance(out, np.ndarray):
        assert out.shape == (7, 9) and not out.any()


@pytest.mark.parametrize("fn", ALL)
def test_rejects_non_2d_and_float(fn) -> None:
    with pytest.raises(ValueError, match="2-D"):
        fn(np.zeros((4, 4, 3), bool))
    with pytest.raises(ValueError, match="bool or integer"):
        fn(np.zeros((4, 4), np.float32))


def test_largest_component() -> None:
    m = blobs()
    out = largest_component(m)
    assert out.dtype == np.bool_
    assert out.sum() == 400 and out[5:25, 5:25].all()
    # uint8 masks with any non-zero value count as foreground
    np.testing.assert_array_equal(largest_component(m.astype(np.uint8) * 7), out)


def test_largest_component_uses_8_connectivity() -> None:
    m = np.eye(5, dtype=bool)  # a diagonal line is one 8-connected component
    m[0, 4] = True
    np.testing.assert_array_equal(largest_component(m), np.eye(5, dtype=bool))


@pytest.mark.parametrize(
    ("fraction", "areas"),
    [(0.0, 504), (0.01, 504), (0.02, 500), (0.25, 500), (0.3, 400), (1.0, 400)],
)
def test_remove_small_components(fraction: float, areas: int) -> None:
    assert remove_small_components(blobs(), fraction).sum() == areas


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_remove_small_components_bad_fraction(bad: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        remove_small_components(blobs(), bad)


def test_fill_holes_fills_a_ring_but_not_an_open_shape() -> None:
    ring = disc(20) & ~disc(10)
    np.testing.assert_array_equal(fill_holes(ring), disc(20))
    # a "C": the ring opened to the border does not enclose anything
    c_shape = ring.copy()
    c_shape[45:56, 50:] = False
    np.testing.assert_array_equal(fill_holes(c_shape), c_shape)
    # a hole whose wall is diagonal (8-connected) is still a hole
    diamond = np.zeros((7, 7), bool)
    for i in range(4):
        diamond[3 - i, i] = diamond[3 + i, i] = diamond[3 - i, 6 - i] = diamond[3 + i, 6 - i] = True
    filled = fill_holes(diamond)
    assert filled[3, 3] and filled[3, 1:6].all() and not filled[0, 0]


def test_fill_holes_touching_border_stays_open() -> None:
    m = np.ones((10, 10), bool)
    m[4:6, 0:3] = False  # a notch open to the left border
    np.testing.assert_array_equal(fill_holes(m), m)


@pytest.mark.parametrize("radius", [2, 5, 10])
def test_dilate_and_erode_disc_areas(radius: int) -> None:
    r0 = 25
    m = disc(r0)
    grown = dilate(m, radius)
    shrunk = erode(m, radius)
    assert grown.dtype == np.bool_ and shrunk.dtype == np.bool_
    # a disc of radius r dilated by an elliptical kernel of radius k is about a disc r + k
    assert grown.sum() == pytest.approx(np.pi * (r0 + radius) ** 2, rel=0.05)
    assert shrunk.sum() == pytest.approx(np.pi * (r0 - radius) ** 2, rel=0.07)
    assert (grown >= m).all() and (shrunk <= m).all()


def test_dilate_single_pixel_gives_the_kernel() -> None:
    m = np.zeros((11, 11), bool)
    m[5, 5] = True
    out = dilate(m, 1)
    expected = np.zeros((11, 11), bool)
    expected[4:7, 5] = expected[5, 4:7] = True  # the radius-1 disc is a plus sign
    np.testing.assert_array_equal(out, expected)
    big = dilate(m, 3)
    assert big.sum() == 29  # lattice points with x^2 + y^2 <= 9
    np.testing.assert_array_equal(big, big.T)  # isotropic
    assert big[2, 5] and big[3, 3] and not big[2, 4] and not big[3, 2]


def test_erode_does_not_eat_from_the_image_border() -> None:
    full = np.ones((20, 20), bool)
    np.testing.assert_array_equal(erode(full, 3), full)


def test_radius_zero_is_identity_copy() -> None:
    m = blobs()
    for fn in (dilate, erode):
        out = fn(m, 0)
        np.testing.assert_array_equal(out, m)
        assert out is not m
    out = feather(m, 0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, m.astype(np.float32))


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_bad_radius(bad) -> None:
    for fn in (dilate, erode, feather):
        with pytest.raises(ValueError, match="non-negative integer"):
            fn(blobs(), bad)


def test_feather_is_soft_only_near_the_edge() -> None:
    m = np.zeros((40, 40), bool)
    m[:, :20] = True
    alpha = feather(m, 6)
    assert alpha.dtype == np.float32 and alpha.shape == m.shape
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    row = alpha[20]
    assert row[:12] == pytest.approx(1.0, abs=1e-3) and row[28:] == pytest.approx(0.0, abs=1e-3)
    assert np.all(np.diff(row) <= 1e-6)  # monotone ramp
    assert row[19] == pytest.approx(1 - row[20], abs=1e-5)  # symmetric around the edge
    np.testing.assert_allclose(alpha, alpha[:1].repeat(40, axis=0))  # border replicated


def test_mask_iou() -> None:
    a = np.zeros((10, 10), bool)
    b = np.zeros((10, 10), bool)
    assert mask_iou(a, b) == 1.0  # both empty
    a[:, :5] = True
    assert mask_iou(a, b) == 0.0
    assert mask_iou(a, a) == 1.0
    b[:, 2:7] = True  # overlap 30, union 70
    assert mask_iou(a, b) == pytest.approx(3 / 7)
    assert mask_iou(a.astype(np.uint8), b) == pytest.approx(3 / 7)
    with pytest.raises(ValueError, match="differ in shape"):
        mask_iou(a, np.zeros((5, 5), bool))


def test_bbox() -> None:
    m = np.zeros((10, 20), bool)
    assert bbox(m) is None
    m[3, 4] = True
    assert bbox(m) == (4, 3, 5, 4)
    m[7, 15] = True
    box = bbox(m)
    assert box == (4, 3, 16, 8)
    assert all(type(v) is int for v in box)
    x0, y0, x1, y1 = box
    assert m[y0:y1, x0:x1].sum() == m.sum()


@pytest.mark.parametrize("radius", [1, 2, 4, 7])
def test_dilate_erode_match_a_disc_kernel(radius: int) -> None:
    import cv2

    y, x = np.ogrid[-radius : radius + 1, -radius : radius + 1]
    kernel = (x * x + y * y <= radius * radius).astype(np.uint8)
    m = np.random.default_rng(radius).random((48, 40)) > 0.85
    m[10:30, 5:25] = True
    expected_dilate = cv2.dilate(m.astype(np.uint8), kernel).astype(bool)
    expected_erode = cv2.erode(m.astype(np.uint8), kernel).astype(bool)  # border = foreground
    np.testing.assert_array_equal(dilate(m, radius), expected_dilate)
    np.testing.assert_array_equal(erode(m, radius), expected_erode)
