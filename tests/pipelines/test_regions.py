"""Edit regions: one pure function of parse, pose, garment category and protocol."""

import numpy as np
import pytest

from fitroom.labels import Body25 as B
from fitroom.labels import Cihp, GarmentCategory
from fitroom.person.agnostic import agnostic_mask
from fitroom.person.body import body_frame
from fitroom.pipelines.regions import Protocol, edit_regions


def _person():
    """A 300x200 frontal person: face, neck skin, a top with sleeves to the elbows, bare
    forearms, trousers; shoulders 80 px apart at y=80, hips at y=180."""
    kp = np.zeros((25, 3), np.float32)
    for side, sx, sgn in (("RIGHT", 60, -1), ("LEFT", 140, 1)):
        kp[B[f"{side}_SHOULDER"]] = (sx, 80, 1)
        kp[B[f"{side}_ELBOW"]] = (sx + sgn * 5, 130, 1)
        kp[B[f"{side}_WRIST"]] = (sx + sgn * 8, 175, 1)
        kp[B[f"{side}_HIP"]] = (100 + sgn * 25, 180, 1)
        kp[B[f"{side}_KNEE"]] = (100 + sgn * 25, 240, 1)
    kp[B.NECK] = (100, 80, 1)
    parse = np.zeros((300, 200), np.uint8)
    parse[20:60, 80:120] = Cihp.FACE
    parse[10:20, 78:122] = Cihp.HAIR
    parse[60:80, 90:110] = Cihp.TORSO_SKIN
    parse[75:185, 55:145] = Cihp.UPPER_CLOTHES
    parse[80:130, 45:55] = Cihp.UPPER_CLOTHES  # sleeves
    parse[80:130, 145:155] = Cihp.UPPER_CLOTHES
    parse[130:180, 45:55] = Cihp.RIGHT_ARM
    parse[130:180, 145:155] = Cihp.LEFT_ARM
    parse[185:290, 70:130] = Cihp.PANTS
    parse[290:300, 70:130] = Cihp.LEFT_SHOE
    return parse, body_frame(kp)


def test_everyday_regions_remove_only_the_old_garment_and_keep_the_person():
    parse, frame = _person()
    r = edit_regions(parse, frame, GarmentCategory.SHORT_SLEEVE_TOP, Protocol.PHOTO)
    old = parse == Cihp.UPPER_CLOTHES
    assert r.remove[old].all()  # the old garment, all of it
    own = np.isin(parse, (Cihp.LEFT_ARM, Cihp.RIGHT_ARM, Cihp.TORSO_SKIN, Cihp.FACE, Cihp.HAIR, Cihp.PANTS))
    assert not (r.remove & own).any()  # never the person's own skin, head or trousers
    assert r.keep[np.isin(parse, (Cihp.FACE, Cihp.HAIR, Cihp.LEFT_SHOE))].all()
    assert not (r.keep & r.remove).any()
    # the removed region grows into the background only (the old garment's rim), a little
    rim = r.remove & ~old
    assert (parse[rim] == Cihp.BACKGROUND).all() and 0 < rim.sum() < 0.5 * old.sum()
    # skin may be made where the body was under the old garment, inside what is removed
    assert r.skin.any() and not (r.skin & ~r.remove).any()
    assert r.skin[100:140, 90:110].all()  # the chest
    assert not r.skin[78:82, 0:20].any()  # not beside the person
    # the old top's hem below the waist shows the trousers if the new top is shorter
    assert r.lower.any() and not (r.lower & r.skin).any() and r.lower[175:185, 80:120].all()


def test_a_dress_replaces_the_trousers_too_and_may_show_legs():
    parse, frame = _person()
    r = edit_regions(parse, frame, GarmentCategory.DRESS, Protocol.PHOTO)
    assert r.remove[parse == Cihp.PANTS].all()
    assert r.skin[200:230, 70:80].any()  # legs along the bones
    assert not r.remove[parse == Cihp.LEFT_SHOE].any()


def test_a_top_over_a_dress_removes_its_upper_part_and_shows_the_rest_as_the_lower_garment():
    parse, frame = _person()
    dress = np.isin(parse, (Cihp.UPPER_CLOTHES, Cihp.PANTS))
    parse[dress] = Cihp.DRESS  # one dress from the shoulders to the knees
    r = edit_regions(parse, frame, GarmentCategory.SHORT_SLEEVE_TOP, Protocol.PHOTO)
    assert r.remove[80:170, 60:140].all()  # the dress's upper part
    assert not r.remove[200:290, 70:130].any()  # its skirt stays
    # where the new top is shorter than the removed part, the dress's skirt continues upwards
    # (not the backdrop, not skin)
    assert r.lower[178:185, 80:120].all() and not (r.lower & r.skin).any()


def test_paired_regions_are_the_agnostic_region():
    parse, frame = _person()
    r = edit_regions(parse, frame, GarmentCategory.SHORT_SLEEVE_TOP, Protocol.PAIRED)
    np.testing.assert_array_equal(r.remove, agnostic_mask(parse, frame))
    np.testing.assert_array_equal(r.keep, ~r.remove)
    assert r.remove[parse == Cihp.RIGHT_ARM].all()  # arms are hidden in the leak-free protocol


def test_inputs_are_not_modified_and_bad_input_is_refused():
    parse, frame = _person()
    before = parse.copy()
    edit_regions(parse, frame, "dress", "photo")
    np.testing.assert_array_equal(parse, before)
    with pytest.raises(ValueError, match="parse map"):
        edit_regions(parse[..., None], frame, "dress")
    with pytest.raises(ValueError):
        edit_regions(parse, frame, "hat")


def test_the_old_garments_edge_given_to_an_arm_is_removed_with_the_photo():
    parse, frame = _person()
    img = np.full(parse.shape + (3,), 230, np.uint8)
    img[np.isin(parse, (Cihp.LEFT_ARM, Cihp.RIGHT_ARM, Cihp.TORSO_SKIN))] = (200, 150, 125)  # skin
    img[parse == Cihp.UPPER_CLOTHES] = (20, 20, 25)  # a black top
    img[130:132, 45:55] = (20, 20, 25)  # its sleeve hem, parsed as the right arm
    r = edit_regions(parse, frame, GarmentCategory.SHORT_SLEEVE_TOP, Protocol.PHOTO, image=img)
    assert r.remove[130:132, 45:55].all() and r.skin[130:132, 45:55].all()
    # the skin-coloured arm stays, but for its row of pixels against the old top (col 54)
    assert not r.remove[136:180, 45:54].any() and r.skin[136:180, 54].all()
    without = edit_regions(parse, frame, GarmentCategory.SHORT_SLEEVE_TOP, Protocol.PHOTO)
    assert not without.remove[130:132, 45:55].any()  # without the photo: the parse decides


def test_the_skins_row_that_the_old_garments_edge_blends_into_is_made_anew():
    parse, frame = _person()
    img = np.full(parse.shape + (3,), 230, np.uint8)
    skin = (200, 150, 125)
    img[np.isin(parse, (Cihp.LEFT_ARM, Cihp.RIGHT_ARM, Cihp.TORSO_SKIN))] = skin
    img[parse == Cihp.UPPER_CLOTHES] = (250, 250, 250)  # a white top
    img[130, 45:55] = (225, 200, 188)  # the hem's anti-aliased row: skin a little lighter
    r = edit_regions(parse, frame, GarmentCategory.SHORT_SLEEVE_TOP, Protocol.PHOTO, image=img)
    assert r.remove[130, 45:55].all() and r.skin[130, 45:55].all()
    assert not r.remove[134:180, 45:54].any()  # the arm itself stays the photo's


def test_an_old_white_top_the_parse_lost_to_a_light_backdrop_is_removed_whole():
    parse, frame = _person()
    img = np.full(parse.shape + (3,), 214, np.uint8)  # a light grey backdrop
    img[np.isin(parse, (Cihp.LEFT_ARM, Cihp.RIGHT_ARM, Cihp.TORSO_SKIN, Cihp.FACE))] = (200, 150, 125)
    top = parse == Cihp.UPPER_CLOTHES
    img[top] = (246, 246, 244)  # a white tee ...
    img[85:128, 155:161] = (246, 246, 244)  # ... its left sleeve 6 px wider than the parse says
    parse_bg = parse.copy()
    r = edit_regions(parse_bg, frame, GarmentCategory.SHORT_SLEEVE_TOP, Protocol.PHOTO, image=img)
    lost = np.zeros(parse.shape, bool)
    lost[85:128, 155:161] = True
    lost &= parse == Cihp.BACKGROUND
    assert lost.sum() > 100 and r.remove[lost].all()
    assert not r.remove[85:128, 168:].any()  # the backdrop beyond stays
    # the skin-coloured arm stays, but for its row of pixels against the old top (col 54)
    assert not r.remove[136:180, 45:54].any() and r.skin[136:180, 54].all()
    # where the top is the backdrop's colour, nothing can be told and only the fixed rim goes
    img2 = img.copy()
    img2[img2.sum(axis=2) == 246 * 2 + 244] = (215, 214, 214)
    r2 = edit_regions(parse, frame, GarmentCategory.SHORT_SLEEVE_TOP, Protocol.PHOTO, image=img2)
    assert not r2.remove[85:128, 158:].any()



def test_hair_over_the_old_garment_stays_even_where_it_is_as_dark():
    parse, frame = _person()
    img = np.full(parse.shape + (3,), 230, np.uint8)
    img[np.isin(parse, (Cihp.LEFT_ARM, Cihp.RIGHT_ARM, Cihp.TORSO_SKIN, Cihp.FACE))] = (200, 150, 125)
    img[parse == Cihp.UPPER_CLOTHES] = (20, 20, 25)  # a black top
    parse[60:75, 60:75] = Cihp.HAIR  # hair down to the shoulder, its ends dark over the top
    img[60:75, 60:75] = (120, 75, 40)
    img[70:75, 60:75] = (22, 22, 26)
    r = edit_regions(parse, frame, GarmentCategory.SHORT_SLEEVE_TOP, Protocol.PHOTO, image=img)
    assert r.keep[60:75, 60:75].all() and not r.remove[60:75, 60:75].any()


def test_a_narrow_gap_between_an_arm_and_the_torso_under_the_old_top_is_skin_not_backdrop():
    from fitroom.pipelines.regions import body_under

    kp = np.zeros((25, 3), np.float32)
    for side, sx, sgn in (("RIGHT", 60, -1), ("LEFT", 140, 1)):
        kp[B[f"{side}_SHOULDER"]] = (sx, 80, 1)
        kp[B[f"{side}_ELBOW"]] = (sx + sgn * 6, 130, 1)  # arms hanging a little away from the torso
        kp[B[f"{side}_WRIST"]] = (sx + sgn * 7, 175, 1)
        kp[B[f"{side}_HIP"]] = (100 + sgn * 25, 180, 1)
        kp[B[f"{side}_KNEE"]] = (100 + sgn * 25, 240, 1)
    kp[B.NECK] = (100, 80, 1)
    frame = body_frame(kp)
    parse = np.zeros((300, 200), np.uint8)
    parse[20:60, 80:120] = Cihp.FACE
    parse[60:80, 90:110] = Cihp.TORSO_SKIN
    parse[75:185, 25:175] = Cihp.UPPER_CLOTHES  # a loose long-sleeved top over arms and torso
    r = edit_regions(parse, frame, GarmentCategory.SHORT_SLEEVE_TOP, Protocol.PHOTO)
    pose_only = body_under(parse.shape, frame, chin_y=59, legs=False)
    gap = ~pose_only[140:155, 50:80] & r.remove[140:155, 50:80]
    assert gap.any()  # between the arm's capsule and the torso, from the pose alone (5-7 px)
    assert r.skin[140:155, 50:80][gap].all()
    assert not r.skin[140:170, 0:20].any()  # beside the arm: backdrop


def _arm_frame(sw: float = 100.0):
    kp = np.zeros((25, 3), np.float32)
    cx, top = 150.0, 80.0
    for side, sgn in (("RIGHT", -1), ("LEFT", 1)):
        kp[B[f"{side}_SHOULDER"]] = (cx + sgn * sw / 2, top, 1)
        kp[B[f"{side}_ELBOW"]] = (cx + sgn * (sw / 2 + 6), top + 90, 1)
        kp[B[f"{side}_WRIST"]] = (cx + sgn * (sw / 2 + 9), top + 170, 1)
        kp[B[f"{side}_HIP"]] = (cx + sgn * 25, top + 140, 1)
        kp[B[f"{side}_KNEE"]] = (cx + sgn * 25, top + 230, 1)
    kp[B.NECK] = (cx, top, 1)
    return body_frame(kp)


def _drawn_arm(frame, fit, shape, t_min):
    from fitroom.pipelines.regions import arm_coords, draw_arm

    arm = draw_arm(shape, frame, fit)
    ys, xs = np.nonzero(arm)
    t, _ = arm_coords(frame, fit.side, xs + 0.5, ys + 0.5)
    out = np.zeros(shape, bool)
    out[ys[t >= t_min], xs[t >= t_min]] = True
    return out


def test_an_arm_is_measured_where_the_photo_shows_it():
    from fitroom.pipelines.regions import ArmFit, fit_arm

    frame, shape = _arm_frame(), (320, 300)
    true = ArmFit(side="left", scale=1.15, offset=4.0)
    real = _drawn_arm(frame, true, shape, t_min=0.45)  # below a short sleeve's hem
    fit = fit_arm(frame, "left", real)
    assert fit is not None
    assert fit.scale == pytest.approx(1.15, abs=0.08)
    assert fit.offset == pytest.approx(4.0, abs=2.0)
    assert fit.start == pytest.approx(0.45, abs=0.05)
    # only the hand in view, or a sliver, or an implausibly wide "arm": the pose is trusted
    assert fit_arm(frame, "left", _drawn_arm(frame, true, shape, t_min=1.7)) is None
    assert fit_arm(frame, "left", np.zeros(shape, bool)) is None
    assert fit_arm(frame, "left", _drawn_arm(frame, ArmFit("left", 2.2, 0.0), shape, t_min=0.45)) is None


def test_made_arms_continue_the_real_arm_not_the_loose_old_sleeve():
    from fitroom.pipelines.regions import ArmFit

    frame, shape = _arm_frame(), (320, 300)
    parse = np.zeros(shape, np.uint8)
    parse[20:70, 130:170] = Cihp.FACE
    # arms a little thinner than the pose's capsules and 10 px further out (+s points to the
    # image's left along these bones)
    for side, label, off in (("left", Cihp.LEFT_ARM, -10.0), ("right", Cihp.RIGHT_ARM, 10.0)):
        parse[_drawn_arm(frame, ArmFit(side, 0.8, off), shape, t_min=0.2)] = label
    parse[75:225, 105:195] = Cihp.UPPER_CLOTHES  # the torso of a loose top
    parse[75:125, 60:105] = Cihp.UPPER_CLOTHES  # its wide short sleeves (to the arm's t = 0.5)
    parse[75:125, 195:241] = Cihp.UPPER_CLOTHES
    r = edit_regions(parse, frame, GarmentCategory.SLEEVELESS_TOP, Protocol.PHOTO)
    assert {a.side for a in r.arms} == {"left", "right"}
    # at the sleeve's level the made arm continues the real one below the hem (its outer edge
    # about 8 px further out than the pose's capsule), the rest of the loose sleeve shows the
    # backdrop
    row = r.skin[115, 195:241]
    real_row = np.isin(parse[135], (Cihp.LEFT_ARM,))
    outer_real = np.nonzero(real_row)[0].max()
    outer_made = 195 + np.nonzero(row)[0].max()
    assert abs(outer_made - outer_real) <= 3
    assert r.remove[115, outer_made + 3:241].all() and not r.skin[115, outer_made + 3:241].any()
    # towards the torso (which the old top hid) the body still closes the gap under the sleeve
    assert r.skin[115, 190:200].all()
