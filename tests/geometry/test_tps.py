import time

import numpy as np
import pytest

from fitroom.geometry import tps_dense_map, tps_fit, tps_transform, tps_warp


def _grid_points(n=5, w=200, h=300):
    xs, ys = np.meshgrid(np.linspace(10, w - 10, n), np.linspace(10, h - 10, n))
    return np.stack([xs.ravel(), ys.ravel()], 1)


def test_identity_fit_is_identity_everywhere():
    ctrl = _grid_points()
    p = tps_fit(ctrl, ctrl)
    q = np.random.default_rng(0).uniform(0, 300, (100, 2))
    np.testing.assert_allclose(tps_transform(p, q), q, atol=1e-6)


def test_affine_is_reproduced_exactly():
    rng = np.random.default_rng(1)
    ctrl = rng.uniform(0, 500, (12, 2))
    a = np.array([[1.2, 0.3], [-0.2, 0.9]])
    t = np.array([15.0, -7.0])
    p = tps_fit(ctrl, ctrl @ a.T + t)
    q = rng.uniform(-100, 600, (50, 2))
    np.testing.assert_allclose(tps_transform(p, q), q @ a.T + t, atol=1e-6)
    assert np.abs(p.weights).max() < 1e-6  # no bending for an affine map


def test_interpolates_landmarks_exactly_and_smooths_with_regularization():
    rng = np.random.default_rng(2)
    ctrl = rng.uniform(0, 300, (10, 2))
    vals = ctrl + rng.normal(0, 20, ctrl.shape)
    np.testing.assert_allclose(tps_transform(tps_fit(ctrl, vals), ctrl), vals, atol=1e-6)
    smooth = tps_transform(tps_fit(ctrl, vals, regularization=10.0), ctrl)
    assert np.abs(smooth - vals).max() > 1e-3


def test_dense_map_matches_exact_evaluation():
    ctrl = _grid_points(4, 120, 90)
    vals = ctrl + np.random.default_rng(3).normal(0, 4, ctrl.shape)
    p = tps_fit(ctrl, vals)
    mx, my = tps_dense_map(p, (120, 90), grid_step=8)
    ex, ey = tps_dense_map(p, (120, 90), grid_step=1)
    assert mx.shape == (90, 120)
    assert np.abs(mx - ex).max() < 2.0 and np.abs(my - ey).max() < 2.0  # worst case at a control point
    assert np.abs(mx - ex).mean() < 0.1
    # the borders are interpolated between padding nodes, not clamped
    assert abs(mx[0, 0] - ex[0, 0]) < 1.0 and abs(my[-1, -1] - ey[-1, -1]) < 1.0


def test_dense_map_of_an_affine_spline_is_exact_everywhere():
    """Bilinear interpolation of an affine map is exact, so any misplaced grid node shows."""
    ctrl = _grid_points(4, 50, 37)
    a = np.array([[1.1, 0.2], [-0.1, 0.95]])
    p = tps_fit(ctrl, ctrl @ a.T + [3.0, -2.0])
    mx, my = tps_dense_map(p, (50, 37), grid_step=8)
    ex, ey = tps_dense_map(p, (50, 37), grid_step=1)
    np.testing.assert_allclose(mx, ex, atol=1e-3)
    np.testing.assert_allclose(my, ey, atol=1e-3)


def test_warp_moves_a_dot_onto_its_target_and_does_not_change_input():
    img = np.zeros((100, 80), np.uint8)
    img[18:23, 28:33] = 255  # dot centred at (30, 20)
    before = img.copy()
    src = np.array([[30, 20], [0, 0], [79, 0], [0, 99], [79, 99]], float)
    dst = np.array([[50, 60], [0, 0], [79, 0], [0, 99], [79, 99]], float)
    out = tps_warp(img, src, dst, (80, 100))
    ys, xs = np.nonzero(out > 128)
    assert abs(xs.mean() - 50) < 1.0 and abs(ys.mean() - 60) < 1.0
    np.testing.assert_array_equal(img, before)


def test_identity_warp_is_identity_on_an_image():
    img = np.random.default_rng(4).integers(0, 255, (64, 48, 3), dtype=np.uint8)
    pts = _grid_points(3, 48, 64)
    out = tps_warp(img, pts, pts, (48, 64))
    np.testing.assert_array_equal(out, img)


@pytest.mark.parametrize("bad", [np.zeros((2, 2)), np.zeros((3, 3))])
def test_bad_shapes_raise(bad):
    with pytest.raises(ValueError):
        tps_fit(bad, bad)


def test_collinear_points_raise():
    ctrl = np.array([[0, 0], [1, 1], [2, 2], [3, 3]], float)
    with pytest.raises(ValueError, match="degenerate|collinear"):
        tps_fit(ctrl, ctrl + 1)
