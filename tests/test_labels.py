import numpy as np
import pytest

from fitroom.labels import (
    Body25, Cihp, Coco18, GarmentCategory, KeypointFormat, MediaPipe33, convert_keypoints, CIHP_PALETTE,
)


def _random(fmt, n, seed=0):
    kp = np.random.default_rng(seed).uniform(1, 500, (n, 3)).astype(np.float32)
    kp[:, 2] = 0.9
    return kp


def test_mediapipe_to_body25_maps_named_points_and_computes_neck_and_mid_hip():
    mp = _random(KeypointFormat.MEDIAPIPE33, 33)
    b = convert_keypoints(mp, "mediapipe33", "body25")
    np.testing.assert_allclose(b[Body25.LEFT_SHOULDER], mp[MediaPipe33.LEFT_SHOULDER])
    np.testing.assert_allclose(b[Body25.RIGHT_WRIST], mp[MediaPipe33.RIGHT_WRIST])
    np.testing.assert_allclose(b[Body25.NECK, :2], (mp[11, :2] + mp[12, :2]) / 2)
    np.testing.assert_allclose(b[Body25.MID_HIP, :2], (mp[23, :2] + mp[24, :2]) / 2)
    np.testing.assert_allclose(b[Body25.LEFT_BIG_TOE], mp[MediaPipe33.LEFT_FOOT_INDEX])


def test_body25_coco18_round_trip_keeps_the_shared_points():
    b = _random(KeypointFormat.BODY25, 25)
    c = convert_keypoints(b, "body25", "coco18")
    back = convert_keypoints(c, "coco18", "body25")
    for name in ("NOSE", "NECK", "LEFT_ELBOW", "RIGHT_KNEE", "LEFT_EAR"):
        np.testing.assert_allclose(back[Body25[name]], b[Body25[name]])
    np.testing.assert_allclose(c[Coco18.LEFT_HIP], b[Body25.LEFT_HIP])
    # points COCO-18 does not have come back missing, not invented
    assert back[Body25.LEFT_HEEL, 2] == 0


def test_missing_points_stay_missing_and_midpoints_need_both():
    b = _random(KeypointFormat.BODY25, 25)
    b[Body25.LEFT_HIP, 2] = 0
    b[Body25.MID_HIP, 2] = 0
    c = convert_keypoints(b, "body25", "mediapipe33")
    assert c[MediaPipe33.LEFT_HIP, 2] == 0
    mp = convert_keypoints(c, "mediapipe33", "body25")
    assert mp[Body25.MID_HIP, 2] == 0


def test_wrong_shape_is_rejected():
    with pytest.raises(ValueError, match="shape"):
        convert_keypoints(np.zeros((18, 3)), "body25", "coco18")


def test_left_and_right_are_the_persons():
    # CIHP, COCO and BODY_25 all name sides from the person's point of view
    assert Cihp.LEFT_ARM == 14 and Coco18.LEFT_SHOULDER == 5 and Body25.LEFT_SHOULDER == 5
    assert CIHP_PALETTE.shape == (20, 3)


def test_garment_categories():
    assert GarmentCategory.TROUSERS.is_bottom and not GarmentCategory.DRESS.is_bottom
    assert GarmentCategory.SHORT_SLEEVE_TOP.has_sleeves and not GarmentCategory.SLEEVELESS_TOP.has_sleeves
