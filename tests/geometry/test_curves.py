import numpy as np
import pytest

from fitroom.geometry.curves import catmull_rom


def test_passes_through_every_point_and_keeps_the_ends():
    pts = np.array([[0, 0], [10, 5], [20, 0], [30, 10]], float)
    c = catmull_rom(pts, n=8)
    assert c.shape == (3 * 8 + 1, 2)
    for p in pts:
        assert np.min(np.linalg.norm(c - p, axis=1)) < 1e-9
    np.testing.assert_allclose(c[0], pts[0])
    np.testing.assert_allclose(c[-1], pts[-1])


def test_collinear_points_give_a_straight_line():
    c = catmull_rom(np.array([[0, 0], [1, 1], [2, 2]], float), n=5)
    np.testing.assert_allclose(c[:, 0], c[:, 1], atol=1e-12)


def test_too_few_points():
    with pytest.raises(ValueError):
        catmull_rom(np.array([[0.0, 0.0]]))
