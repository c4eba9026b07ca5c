from types import SimpleNamespace

import numpy as np
import pytest

from fitroom.labels import Body25 as B
from fitroom.person.body import body_frame
from fitroom.pipelines.placement import ARMPIT_HALF, CHEST_SPAN, MAX_WIDER, SHOULDER_SPAN, TOP_MAX_LENGTH, place_garment


def _frame(arm_angle_deg: float = 0.0):
    """Upright person, shoulders 100 px apart at y=100; arms at ``arm_angle_deg`` from vertical."""
    kp = np.zeros((25, 3), np.float32)
    a = np.deg2rad(arm_angle_deg)
    for side, sx, sgn in (("RIGHT", 150, -1), ("LEFT", 250, 1)):
        kp[B[f"{side}_SHOULDER"]] = (sx, 100, 1)
        d = np.array([sgn * np.sin(a), np.cos(a)])
        e = np.array([sx, 100]) + d * 70
        w = e + d * 65
        kp[B[f"{side}_ELBOW"]] = (*e, 1)
        kp[B[f"{side}_WRIST"]] = (*w, 1)
        kp[B[f"{side}_HIP"]] = (200 + sgn * 35, 250, 1)
    return body_frame(kp)


def _tee():
    """Garment landmarks of a T-shirt photo, wearer's left on the image right."""
    return SimpleNamespace(
        neck_left=(230, 40), neck_right=(170, 40), neck_front=(200, 70),
        shoulder_left=(280, 60), shoulder_right=(120, 60),
        armpit_left=(270, 150), armpit_right=(130, 150),
        sleeve_left_outer=(340, 110), sleeve_left_inner=(310, 160),
        sleeve_right_outer=(60, 110), sleeve_right_inner=(90, 160),
        hem_left=(275, 380), hem_right=(125, 380),
    )


def test_shoulders_land_on_the_shoulders_scaled_by_the_chest():
    gp = place_garment(_tee(), _frame(), (400, 420), has_sleeves=True)
    p = gp.torso
    i_l, i_r = p.names.index("shoulder_left"), p.names.index("shoulder_right")
    span = np.linalg.norm(p.dst[i_l] - p.dst[i_r])
    assert span == pytest.approx(SHOULDER_SPAN * 100, rel=1e-6)
    # armpits 140 px apart in the photo, shoulder seams 160: the smaller scale of the two (a
    # tapered garment is not blown up to span the chest), then held to a top's worn length
    scale = min(CHEST_SPAN * 100 / 140, SHOULDER_SPAN * 100 / 160)
    f = _frame()
    assert gp.scale == pytest.approx(min(scale, TOP_MAX_LENGTH * f.torso_length / 320))
    assert p.dst[i_l, 0] > p.dst[i_r, 0]  # wearer's left on the image right
    assert p.src.shape == p.dst.shape and len(p.names) == len(p.src)


def test_a_tee_is_never_worn_as_a_tunic():
    """Worn length, shoulder line to hem, stays within a top's (``TOP_MAX_LENGTH`` torso lengths)."""
    f = _frame()
    lm = _tee()
    lm.hem_left, lm.hem_right = (275, 560), (125, 560)  # a very long photo of a top
    gp = place_garment(lm, f, (400, 600), has_sleeves=True)
    t = gp.torso
    hem = (t.dst[t.names.index("hem_left")] + t.dst[t.names.index("hem_right")]) / 2
    assert (hem[1] - f.neck[1]) / f.torso_length <= TOP_MAX_LENGTH + 0.05



@pytest.mark.parametrize("angle", [0.0, 45.0])
def test_sleeves_join_the_torso_and_follow_the_arm(angle):
    f = _frame(angle)
    gp = place_garment(_tee(), f, (400, 420), has_sleeves=True)
    s, t = gp.sleeves["left"], gp.torso
    # the sleeve starts where the torso's shoulder seam and armpit went: the parts meet
    np.testing.assert_allclose(s.dst[s.names.index("left_0.00_top")], t.dst[t.names.index("shoulder_left")])
    np.testing.assert_allclose(s.dst[s.names.index("left_0.00_bottom")], t.dst[t.names.index("armpit_left")])
    # the cuff centre lies on the arm, at the garment's sleeve length from the root
    from fitroom.person.body import point_segment_distance

    cuff = s.dst[s.names.index("left_1.00_mid")]
    root = (t.dst[t.names.index("shoulder_left")] + t.dst[t.names.index("armpit_left")]) / 2
    d = min(point_segment_distance(np.float64(cuff[0]), np.float64(cuff[1]), a, b)
            for a, b in ((root, f.elbow_l), (f.elbow_l, f.wrist_l)))
    assert d < 1e-6
    # no mirroring: the shoulder-seam edge of the cuff is on the outside of the arm
    top, bottom = s.dst[s.names.index("left_1.00_top")], s.dst[s.names.index("left_1.00_bottom")]
    assert top[0] > bottom[0]
    assert s.region.shape[1] == 2 and len(s.region) >= 4


def test_sleeveless_has_no_sleeve_points_and_no_duplicates():
    gp = place_garment(_tee(), _frame(), (400, 420), has_sleeves=False)
    assert gp.sleeves == {}
    p = gp.torso
    d = np.linalg.norm(p.dst[:, None] - p.dst[None], axis=-1) + np.eye(len(p.dst)) * 1e9
    assert d.min() > 1.0


def test_narrow_garment_is_widened_to_the_body():
    lm = _tee()
    lm.hem_left, lm.hem_right = (210, 380), (190, 380)  # a very narrow hem
    f = _frame()
    p = place_garment(lm, f, (400, 420), has_sleeves=True).torso
    hl, hr = p.dst[p.names.index("hem_left")], p.dst[p.names.index("hem_right")]
    assert hl[0] - hr[0] >= np.linalg.norm(f.hip_l - f.hip_r)


def test_implausible_landmarks_cannot_make_a_gigantic_garment():
    lm = _tee()
    lm.armpit_left, lm.armpit_right = (202, 150), (198, 150)  # a chest 4 px wide
    f = _frame()
    gp = place_garment(lm, f, (400, 420), has_sleeves=True)
    t = gp.torso
    hem_y = t.dst[t.names.index("hem_left"), 1]
    assert (hem_y - f.neck[1]) / f.torso_length <= 2.3


def test_a_measured_wider_body_gets_a_wider_garment():
    f = _frame()
    narrow = place_garment(_tee(), f, (400, 420), has_sleeves=True).torso
    wide = place_garment(_tee(), f, (400, 420), has_sleeves=True, body_width=lambda side, t: 70.0).torso
    for name in ("armpit_left", "armpit_right", "hem_left", "hem_right"):
        a_n = abs(narrow.dst[narrow.names.index(name), 0] - f.neck[0])
        a_w = abs(wide.dst[wide.names.index(name), 0] - f.neck[0])
        assert a_w >= 70.0 - 1e-6 and a_w > a_n
    # but bulky clothes are not the body: at most MAX_WIDER times the proportional width
    huge = place_garment(_tee(), f, (400, 420), has_sleeves=True, body_width=lambda side, t: 500.0).torso
    a_h = abs(huge.dst[huge.names.index("armpit_left"), 0] - f.neck[0])
    assert a_h <= MAX_WIDER * ARMPIT_HALF * 100 + 1e-6
    # unknown widths change nothing
    same = place_garment(_tee(), f, (400, 420), has_sleeves=True, body_width=lambda side, t: None).torso
    np.testing.assert_allclose(same.dst, narrow.dst)


def test_worn_length_is_the_garments_own_held_to_what_tops_and_dresses_have():
    from fitroom.garment.landmarks import GarmentLandmarks
    from fitroom.pipelines.placement import TOP_MAX_LENGTH, worn_length

    kp = np.zeros((25, 3), np.float32)
    from fitroom.labels import Body25 as B
    from fitroom.person.body import body_frame

    for side, sgn in (("RIGHT", -1), ("LEFT", 1)):
        kp[B[f"{side}_SHOULDER"]] = (150 + sgn * 50, 80, 1)
        kp[B[f"{side}_HIP"]] = (150 + sgn * 25, 220, 1)
    kp[B.NECK] = (150, 80, 1)
    f = body_frame(kp)

    def top(length):
        return GarmentLandmarks(neck_left=(120, 10), neck_right=(80, 10), neck_front=(100, 30),
                                shoulder_left=(160, 20), shoulder_right=(40, 20), armpit_left=(150, 60),
                                armpit_right=(50, 60), sleeve_left_outer=(160, 20), sleeve_left_inner=(150, 60),
                                sleeve_right_outer=(40, 20), sleeve_right_inner=(50, 60),
                                hem_left=(150, 20 + length), hem_right=(50, 20 + length), has_sleeves=False)

    # a top 1.2 chest widths long: its own length on this body (chest worn at 1.12 shoulders)
    tee = worn_length(top(120), f, has_sleeves=False)
    assert tee == pytest.approx(120 * 1.12 * f.shoulder_width / 100 / f.torso_length)
    assert worn_length(top(120), f, has_sleeves=False) < worn_length(top(130), f, has_sleeves=False)
    assert worn_length(top(900), f, has_sleeves=False) == TOP_MAX_LENGTH  # a top is no dress
    assert worn_length(top(30), f, has_sleeves=False) == 0.45
    assert worn_length(top(900), f, has_sleeves=False, is_dress=True) > TOP_MAX_LENGTH
