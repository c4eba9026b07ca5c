"""The shared compositor: what the everyday try-on keeps, and the skin it makes."""

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab

from fitroom.data.keypoints import read_openpose_json
from fitroom.examples import example_garments, example_person
from fitroom.imaging import load_image, load_label_map
from fitroom.labels import ARMS, Cihp
from fitroom.pipelines import Protocol, TryOnPipeline
from fitroom.pipelines.compose import synthesize_skin, visible_skin


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
    # (all but the old garment's own edge where the parse gave it to the arm: a thin rim)
    rim = own & r.regions.remove
    assert rim.sum() <= 0.05 * max(own.sum(), 1)
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
    for name in ("08348_00", "11791_00"):  # a camisole, a V-neck tee
        r = pipe(pa, load_image(d / "cloth" / f"{name}.jpg"))
        _assert_everyday_invariants(r, person)
        arms = np.isin(pa.parse, ARMS)
        assert (r.image[arms] == person[arms]).all(axis=1).mean() > 0.9  # the arms are hers


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
