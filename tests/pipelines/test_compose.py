"""The shared compositor: what the everyday try-on keeps, and the skin it makes."""

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab

from fitroom.data.keypoints import read_openpose_json
from fitroom.examples import example_garments, example_person
from fitroom.imaging import load_image, load_label_map
from fitroom.labels import ARMS, Cihp, GarmentCategory
from fitroom.pipelines import Protocol, TryOnPipeline
from fitroom.pipelines.compose import limb_relief, skin_like, synthesize_skin, visible_skin


@pytest.fixture(scope="module", params=["classical", "learned"])
def pipe(request):
    return TryOnPipeline(request.param)


def _assert_everyday_invariants(r, person):
    """Every pixel outside the new garment and outside the removed (old garment) region is the
    photo's, bit for bit; the person's own arms and skin are among them."""
    outside = ~(r.layer.alpha > 0) & ~r.regions.remove
    np.testing.assert_array_equal(r.image[outside], person[outside])
    assert not (r.changed_region & outside).any()
    own = np.isin(r.person.parse, ARMS + (Cihp.TORSO_SKIN,)) & ~(r.layer.alpha > 0)
    # all but the old garment's parts that the parse gave to the skin (its edge along an arm, a
    # dark collar called neck); of the arms, that is a thin rim at most
    rim = own & r.regions.remove
    arms = np.isin(r.person.parse, ARMS) & ~(r.layer.alpha > 0)
    assert (arms & rim).sum() <= 0.05 * max(arms.sum(), 1)
    np.testing.assert_array_equal(r.image[own & ~rim], person[own & ~rim])
    keep = r.regions.keep
    np.testing.assert_array_equal(r.image[keep], person[keep])


def test_everyday_protocol_keeps_everything_but_the_garment_and_what_it_bared(pipe):
    person = load_image(example_person())
    for g in example_garments():
        r = pipe(person, load_image(g), protocol=Protocol.PHOTO)
        _assert_everyday_invariants(r, person)
        assert r.changed_region.mean() > 0.03


@pytest.mark.realdata
def test_everyday_protocol_keeps_real_arms_on_a_real_photo(pipe, realdata):
    d = realdata / "hd_unpaired"
    person = load_image(d / "image" / "00891_00.jpg")
    kp = read_openpose_json(d / "openpose-json" / "00891_00_keypoints.json")
    pa = pipe.analyze_person(person, keypoints=kp, parse=load_label_map(d / "image-parse" / "00891_00.png"))
    for name in ("08348_00", "11791_00"):  # a camisole, a V-neck tee (measured 0.98 and 0.90-0.93)
        r = pipe(pa, load_image(d / "cloth" / f"{name}.jpg"))
        _assert_everyday_invariants(r, person)
        arms = np.isin(pa.parse, ARMS)
        # the arms are hers: all but where the new garment covers them (the camisole: nothing
        # but its straps' edge; the tee: its sleeves on the upper arms)
        kept = (r.image[arms] == person[arms]).all(axis=1).mean()
        assert kept > (0.95 if name == "08348_00" else 0.85), (name, kept)


def test_made_skin_has_the_persons_colour_and_is_not_flat():
    rng = np.random.default_rng(0)
    ref = np.clip(rng.normal((196, 150, 122), 6, (500, 3)), 0, 255).astype(np.uint8)
    region = np.zeros((80, 80), bool)
    region[10:70, 20:60] = True
    light = np.ones((80, 80), np.float32)
    light[:, 40:] = 0.85  # the old garment was in shadow on one side
    out = synthesize_skin(np.zeros((80, 80, 3), np.float32), region, ref, light=light, radius=10)
    px = np.clip(out[region], 0, 255).astype(np.uint8)
    lab = rgb2lab(px.reshape(-1, 1, 3)).reshape(-1, 3)
    de = deltaE_ciede2000(np.median(lab, 0)[None], np.median(rgb2lab(ref.reshape(-1, 1, 3)).reshape(-1, 3), 0)[None])
    assert de[0] < 3.0
    assert lab[:, 0].std() > 1.0  # light and roundness, not a flat tube
    # the shadowed half is darker, as the light says
    assert out[10:70, 45:58].mean() < out[10:70, 22:35].mean()
    assert (out[~region] == 0).all()


def test_visible_skin_prefers_the_body_and_drops_what_is_removed():
    img = np.zeros((60, 60, 3), np.uint8)
    parse = np.zeros((60, 60), np.uint8)
    parse[5:25, 5:25] = Cihp.FACE
    img[5:25, 5:25] = (220, 180, 160)
    parse[30:55, 5:25] = Cihp.LEFT_ARM
    img[30:55, 5:25] = (150, 100, 80)
    px = visible_skin(img, parse)
    assert len(px) and (px == (150, 100, 80)).all()  # the arm, not the face
    usable = np.ones((60, 60), bool)
    usable[30:55] = False
    assert (visible_skin(img, parse, usable=usable) == (220, 180, 160)).all()


def test_visible_skin_ignores_a_sleeve_that_the_parse_called_an_arm():
    img = np.zeros((60, 60, 3), np.uint8)
    parse = np.zeros((60, 60), np.uint8)
    parse[5:25, 5:25] = Cihp.FACE
    img[5:25, 5:25] = (225, 175, 150)
    parse[30:55, 5:25] = Cihp.LEFT_ARM
    img[30:55, 5:25] = (90, 20, 35)  # a maroon long sleeve
    parse[30:55, 35:45] = Cihp.RIGHT_ARM
    img[30:55, 35:45] = (190, 140, 115)  # the other arm, bare and a little darker than the face
    px = visible_skin(img, parse)
    assert len(px) and (px == (190, 140, 115)).all()
    parse[30:55, 35:45] = Cihp.UPPER_CLOTHES  # no bare arm left: the face is the reference
    assert (visible_skin(img, parse) == (225, 175, 150)).all()
    # without a face nothing can be judged: the mask is kept as it is
    m = parse == Cihp.LEFT_ARM
    assert (skin_like(img, m, None) == m).all()


def test_a_made_limb_is_lit_as_a_round_one():
    region = np.zeros((60, 120), bool)
    region[20:41, 10:110] = True  # a horizontal arm, 21 px thick, its axis on row 30
    bone = [(np.array([10.0, 30.0]), np.array([110.0, 30.0]))]
    relief = limb_relief(region, region, bone)
    col = relief[20:41, 60]
    assert col[10] == pytest.approx(1.0)  # on the axis, the full light
    assert col[0] < 0.85 and col[-1] < 0.85  # at the outline, darker
    assert (np.diff(col[:11]) >= 0).all() and (np.diff(col[10:]) <= 0).all()  # smoothly
    assert (relief[~region] == 1).all()
    # an arm against skin (its outline not in the picture) is as round, by the arm's radius
    blob = np.zeros((60, 120), bool)
    blob[5:56, 10:110] = True
    wide = limb_relief(region, blob, bone, radius=10.5)
    assert wide[20, 60] < 0.85 and wide[30, 60] == pytest.approx(1.0)


def _arm_scene():
    """A person (pose, parse) with arms hanging beside the torso, a removed old top, and a new
    garment whose torso is wider than the body (it covers the arms' roots and upper arms)."""
    from types import SimpleNamespace

    from fitroom.labels import Body25 as B
    from fitroom.person.body import arm_segments, body_frame, draw_capsules
    from fitroom.pipelines.regions import EditRegions

    h, w, cx, top, sw = 300, 240, 120.0, 80.0, 100.0
    kp = np.zeros((25, 3), np.float32)
    for i, (x, y) in {B.NOSE: (cx, top - 40), B.NECK: (cx, top), B.RIGHT_SHOULDER: (cx - sw / 2, top),
                      B.LEFT_SHOULDER: (cx + sw / 2, top), B.RIGHT_ELBOW: (cx - sw / 2 - 5, top + 80),
                      B.LEFT_ELBOW: (cx + sw / 2 + 5, top + 80), B.RIGHT_WRIST: (cx - sw / 2 - 5, top + 160),
                      B.LEFT_WRIST: (cx + sw / 2 + 5, top + 160), B.MID_HIP: (cx, top + 130),
                      B.RIGHT_HIP: (cx - 22, top + 130), B.LEFT_HIP: (cx + 22, top + 130)}.items():
        kp[i] = (x, y, 0.9)
    frame = body_frame(kp)
    parse = np.zeros((h, w), np.uint8)
    img = np.full((h, w, 3), 230, np.uint8)
    for side, label in (("left", Cihp.LEFT_ARM), ("right", Cihp.RIGHT_ARM)):
        arm = draw_capsules((h, w), arm_segments(frame, side, hand=0.3), 0.1 * sw)
        parse[arm] = label
        img[arm] = (190, 140, 120)
    remove = np.zeros((h, w), bool)
    remove[int(top):int(top) + 130, int(cx - 40):int(cx + 40)] = True
    parse[remove] = Cihp.UPPER_CLOTHES
    img[remove] = (30, 30, 160)
    regions = EditRegions(remove=remove, keep=np.zeros((h, w), bool), skin=np.zeros((h, w), bool),
                          lower=np.zeros((h, w), bool), protocol=Protocol.PHOTO)
    torso = np.zeros((h, w), np.float32)
    torso[int(top) - 5:int(top) + 135, int(cx - sw / 2 - 15):int(cx + sw / 2 + 16)] = 1.0
    pa = SimpleNamespace(image=img, parse=parse, frame=frame)
    return pa, regions, torso, frame


@pytest.mark.parametrize("sleeves", [True, False])
def test_real_arms_go_in_front_of_the_new_garment_but_not_at_their_root(sleeves):
    from fitroom.person.body import along_body
    from fitroom.pipelines.compose import ARM_FRONT, GarmentLayer, compose

    pa, regions, torso, frame = _arm_scene()
    h, w = torso.shape
    sleeve = np.zeros((h, w), np.float32)
    if sleeves:  # short sleeves outside the wide torso
        sleeve[int(frame.neck[1]):int(frame.neck[1]) + 40, :int(frame.neck[0] - 65)] = 1.0
        sleeve[int(frame.neck[1]):int(frame.neck[1]) + 40, int(frame.neck[0] + 66):] = 1.0
    rgb = np.zeros((h, w, 3), np.float32)
    rgb[...] = (20, 200, 20)
    layer = GarmentLayer(rgb=rgb, alpha=np.maximum(torso, sleeve), torso_alpha=torso, sleeve_alpha=sleeve)
    out, _ = compose(pa, regions, layer)
    arm_under = np.isin(pa.parse, ARMS) & (torso > 0.5)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    root = arm_under & (along_body(frame, xx, yy) <= ARM_FRONT)
    lower = arm_under & (along_body(frame, xx, yy) > ARM_FRONT + 0.05)
    assert root.sum() > 50 and lower.sum() > 50
    photo = (out == pa.image).all(axis=2)
    assert photo[lower].all()  # the forearm beside/in front of the torso stays in front
    if sleeves:
        assert not photo[root].any()  # the root is behind the garment's shoulder
    else:
        assert photo[root].all()  # no sleeves: the arm hangs in front of the armhole


def test_a_made_arm_continues_the_real_one_without_a_seam_at_the_hem():
    """An old short sleeve is replaced by a sleeveless top: the upper arm under the sleeve is
    made anew and continues the real arm below the hem: as wide, in the same place, and the
    same colour where they meet."""
    from types import SimpleNamespace

    from fitroom.labels import Body25 as B
    from fitroom.person.body import body_frame
    from fitroom.pipelines.compose import fill_removed
    from fitroom.pipelines.regions import ArmFit, arm_coords, draw_arm, edit_regions

    h, w, cx, top, sw = 320, 300, 150.0, 80.0, 100.0
    kp = np.zeros((25, 3), np.float32)
    for side, sgn in (("RIGHT", -1), ("LEFT", 1)):
        kp[B[f"{side}_SHOULDER"]] = (cx + sgn * sw / 2, top, 1)
        kp[B[f"{side}_ELBOW"]] = (cx + sgn * (sw / 2 + 6), top + 90, 1)
        kp[B[f"{side}_WRIST"]] = (cx + sgn * (sw / 2 + 9), top + 170, 1)
        kp[B[f"{side}_HIP"]] = (cx + sgn * 25, top + 140, 1)
    kp[B.NECK] = (cx, top, 1)
    kp[B.NOSE] = (cx, top - 40, 1)
    frame = body_frame(kp)
    parse = np.zeros((h, w), np.uint8)
    img = np.full((h, w, 3), 225, np.uint8)
    parse[20:70, 130:170] = Cihp.FACE
    img[20:70, 130:170] = (222, 172, 150)  # a lighter face than the (tanned) arms
    rng = np.random.default_rng(0)
    for side, label in (("left", Cihp.LEFT_ARM), ("right", Cihp.RIGHT_ARM)):
        arm = draw_arm((h, w), frame, ArmFit(side, 1.0, 0.0))
        ys, xs = np.nonzero(arm)
        t, s = arm_coords(frame, side, xs + 0.5, ys + 0.5)
        ys, xs, s = ys[t > 0.2], xs[t > 0.2], s[t > 0.2]  # the shoulder's top is under the old top
        light = 1.0 - 0.35 * (s / 12.0) ** 2  # lit from the front: darker towards the sides
        base = np.array([190.0, 135.0, 110.0])
        img[ys, xs] = np.clip(base * np.clip(light, 0.5, 1)[:, None] + rng.normal(0, 2, (len(xs), 1)), 0, 255)
        parse[ys, xs] = label
    parse[75:225, 105:195] = Cihp.UPPER_CLOTHES
    parse[75:125, 60:105] = Cihp.UPPER_CLOTHES  # short sleeves to the arm's t = 0.5
    parse[75:125, 195:241] = Cihp.UPPER_CLOTHES
    img[parse == Cihp.UPPER_CLOTHES] = (40, 40, 150)
    regions = edit_regions(parse, frame, GarmentCategory.SLEEVELESS_TOP, Protocol.PHOTO, image=img)
    assert {a.side for a in regions.arms} == {"left", "right"}
    filled = fill_removed(SimpleNamespace(image=img, parse=parse, frame=frame), regions)
    x0, y0, x1, y1 = filled.box
    out = img.astype(np.float32).copy()
    out[y0:y1, x0:x1] = filled.rgb
    out[~regions.remove] = img[~regions.remove]
    for xs_arm in (slice(198, 210), slice(90, 102)):  # each arm, across
        made = out[112:122, xs_arm].mean(axis=(0, 1))
        real = img[132:140, xs_arm].astype(np.float32).mean(axis=(0, 1))
        assert np.abs(made - real).max() < 8  # no step at the hem
    # all along, the made upper arm has the real arm's colour, not the face's (row 92: 0.15 of
    # the upper arm below the shoulder)
    for xs_arm in (slice(198, 210), slice(90, 102)):
        made = out[90:95, xs_arm].mean(axis=(0, 1))
        real = img[132:140, xs_arm].astype(np.float32).mean(axis=(0, 1))
        assert np.abs(made - real).max() < 8, (made, real)
    # the made upper arm's outline continues the real one's (row 118 against row 135)
    for fit in regions.arms:
        made = np.nonzero(regions.skin[118] & draw_arm((h, w), frame, fit)[118])[0]
        real = np.nonzero(parse[135] == (Cihp.LEFT_ARM if fit.side == "left" else Cihp.RIGHT_ARM))[0]
        assert abs(made.min() - real.min()) <= 3 and abs(made.max() - real.max()) <= 3
