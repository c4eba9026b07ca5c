import numpy as np

from fitroom.labels import Body25 as B
from fitroom.labels import Cihp
from fitroom.person.agnostic import GREY, agnostic_image, agnostic_mask
from fitroom.person.body import body_frame


def _scene():
    h, w = 300, 200
    parse = np.zeros((h, w), np.uint8)
    parse[20:60, 80:120] = Cihp.FACE
    parse[10:20, 80:120] = Cihp.HAIR
    parse[70:170, 60:140] = Cihp.UPPER_CLOTHES
    parse[70:170, 45:60] = Cihp.RIGHT_ARM
    parse[70:170, 140:155] = Cihp.LEFT_ARM
    parse[170:290, 60:140] = Cihp.PANTS
    kp = np.zeros((25, 3), np.float32)
    for i, (x, y) in {B.RIGHT_SHOULDER: (60, 72), B.LEFT_SHOULDER: (140, 72), B.RIGHT_ELBOW: (52, 120),
                      B.LEFT_ELBOW: (148, 120), B.RIGHT_WRIST: (52, 165), B.LEFT_WRIST: (148, 165),
                      B.RIGHT_HIP: (75, 170), B.LEFT_HIP: (125, 170)}.items():
        kp[i] = (x, y, 1.0)
    return parse, body_frame(kp)


def test_region_covers_garment_and_arms_but_keeps_head_and_lower_body():
    parse, f = _scene()
    m = agnostic_mask(parse, f)
    assert m[np.isin(parse, (Cihp.UPPER_CLOTHES, Cihp.LEFT_ARM, Cihp.RIGHT_ARM))].all()
    assert not m[np.isin(parse, (Cihp.FACE, Cihp.HAIR, Cihp.PANTS))].any()
    # grown beyond the garment into the background
    assert m[(parse == Cihp.BACKGROUND)].sum() > 0


def test_dress_mode_also_takes_lower_garments_but_keeps_bare_legs():
    parse, f = _scene()
    parse[250:290, 60:140] = Cihp.LEFT_LEG
    m = agnostic_mask(parse, f, keep_lower_body=False)
    assert m[parse == Cihp.PANTS].any()
    assert not m[parse == Cihp.LEFT_LEG].any()


def test_agnostic_image_is_grey_inside_and_untouched_outside():
    parse, f = _scene()
    img = np.random.default_rng(0).integers(0, 255, parse.shape + (3,), dtype=np.uint8)
    m = agnostic_mask(parse, f)
    a = agnostic_image(img, m)
    assert (a[m] == GREY).all()
    np.testing.assert_array_equal(a[~m], img[~m])
