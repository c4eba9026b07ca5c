import numpy as np
import pytest

from fitroom.errors import KeypointsError
from fitroom.labels import Body25 as B
from fitroom.person.body import along_body, body_frame, draw_capsules, point_segment_distance


def upright_keypoints(cx=100.0, top=50.0, sw=80.0, hips=True) -> np.ndarray:
    kp = np.zeros((25, 3), np.float32)

    def put(i, x, y):
        kp[i] = (x, y, 0.9)

    put(B.NOSE, cx, top - 30)
    put(B.RIGHT_SHOULDER, cx - sw / 2, top)
    put(B.LEFT_SHOULDER, cx + sw / 2, top)
    put(B.RIGHT_ELBOW, cx - sw / 2 - 5, top + 60)
    put(B.LEFT_ELBOW, cx + sw / 2 + 5, top + 60)
    put(B.RIGHT_WRIST, cx - sw / 2 - 8, top + 115)
    put(B.LEFT_WRIST, cx + sw / 2 + 8, top + 115)
    if hips:
        put(B.RIGHT_HIP, cx - 0.3 * sw, top + 1.4 * sw)
        put(B.LEFT_HIP, cx + 0.3 * sw, top + 1.4 * sw)
        put(B.RIGHT_KNEE, cx - 0.3 * sw, top + 2.5 * sw)
        put(B.LEFT_KNEE, cx + 0.3 * sw, top + 2.5 * sw)
    return kp


def test_frame_of_an_upright_person():
    f = body_frame(upright_keypoints())
    assert f.shoulder_width == pytest.approx(80.0)
    np.testing.assert_allclose(f.neck, [100, 50])
    np.testing.assert_allclose(f.down, [0, 1], atol=1e-6)
    np.testing.assert_allclose(f.right, [1, 0], atol=1e-6)  # towards the person's left = image right
    assert f.torso_length == pytest.approx(1.4 * 80)
    assert along_body(f, np.float32(100), np.float32(50 + 1.4 * 80)) == pytest.approx(1.0)


def test_missing_hips_are_extrapolated_below_the_shoulders():
    f = body_frame(upright_keypoints(hips=False))
    assert f.mid_hip[1] > f.neck[1] + f.shoulder_width
    assert abs(f.mid_hip[0] - 100) < 1e-6


def test_missing_shoulder_is_a_clear_error():
    kp = upright_keypoints()
    kp[B.LEFT_SHOULDER, 2] = 0
    with pytest.raises(KeypointsError, match="shoulders"):
        body_frame(kp)


def test_wrong_shape_raises():
    with pytest.raises(ValueError, match="BODY_25"):
        body_frame(np.zeros((18, 3)))


def test_capsules_and_segment_distance_agree():
    a, b = np.array([10.0, 10.0]), np.array([50.0, 10.0])
    m = draw_capsules((40, 70), [(a, b)], 5)
    ys, xs = np.nonzero(m)
    d = point_segment_distance(xs.astype(np.float32), ys.astype(np.float32), a, b)
    assert d.max() <= 6.0
    assert m[10, 30] and not m[25, 30]
