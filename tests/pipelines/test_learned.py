"""The learned engine: its plumbing with small untrained networks, and the shipped weights."""

import numpy as np
import pytest

from fitroom.errors import FitroomError
from fitroom.examples import example_garments, example_person
from fitroom.imaging import load_image
from fitroom.models import build
from fitroom.pipelines import Protocol, TryOnPipeline
from fitroom.pipelines.learned import NECK_Y, TORSO, frame_box


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    d = tmp_path_factory.mktemp("weights")
    build("warp-flow", base_channels=8).save_pretrained(d / "warp")
    build("tryon-unet", base_channels=8).save_pretrained(d / "tryon")
    return d


def test_learned_engine_runs_at_network_size_and_composites_at_photo_size(weights):
    pipe = TryOnPipeline("learned", weights=weights)
    person = load_image(example_person())
    r = pipe(person, load_image(example_garments()[1]))
    assert r.engine == "learned" and r.image.shape == person.shape
    np.testing.assert_array_equal(r.image[~r.changed_region], person[~r.changed_region])
    assert 0.02 < r.changed_region.mean() < 0.9
    assert r.learned.warped_garment.shape[:2] == tuple(pipe._learned.size)
    x0, y0, x1, y1 = r.learned.crop
    assert abs((y1 - y0) / (x1 - x0) - 256 / 192) < 0.02  # the crop keeps the network's aspect


def test_missing_weights_are_a_clear_error(tmp_path):
    with pytest.raises(FitroomError, match="fitroom train"):
        TryOnPipeline("learned", weights=tmp_path / "none")
    with pytest.raises(FitroomError, match="unknown engine"):
        TryOnPipeline("diffusion")


def test_debug_images_of_a_learned_try_on(weights, tmp_path):
    from fitroom.pipelines.debug import save_debug

    r = TryOnPipeline("learned", weights=weights)(load_image(example_person()), load_image(example_garments()[0]))
    assert len(save_debug(r, tmp_path)) == 7


def test_frame_box_puts_neck_and_torso_where_training_photos_have_them():
    kp = np.zeros((25, 3), np.float32)
    kp[1] = (300, 200, 1)  # neck
    kp[8] = (300, 380, 1)  # mid-hip: torso 180 px
    region = np.zeros((1000, 800), bool)
    region[210:370, 250:350] = True  # a top, well inside the framing
    x0, y0, x1, y1 = frame_box(kp, region, 4 / 3)
    h = y1 - y0
    assert abs(h - 180 / TORSO) <= 1 and abs((y1 - y0) / (x1 - x0) - 4 / 3) < 0.01
    assert abs((200 - y0) / h - NECK_Y) < 0.01 and abs((x0 + x1) / 2 - 300) <= 1
    # a long dress reaching below the framed box grows the box (same anchor) to hold it
    region[210:900] = False
    region[210:900, 250:350] = True
    x0, y0, x1, y1 = frame_box(kp, region, 4 / 3)
    assert y1 >= 900 and abs((200 - y0) / (y1 - y0) - NECK_Y) < 0.01
    # no neck or hip: the region's bounding box (with a margin)
    kp[8, 2] = 0
    x0, y0, x1, y1 = frame_box(kp, region, 4 / 3)
    assert y0 < 210 and y1 > 900 and x0 < 250 and x1 > 350


@pytest.fixture(scope="module")
def shipped():
    return TryOnPipeline("learned")  # fitroom/weights/learned


def test_shipped_weights_dress_the_person_in_the_garment(shipped):
    person = load_image(example_person())
    garment = load_image(example_garments()[0])
    r = shipped(person, garment)
    # the garment's own colours arrive in the changed region (its pixels are warped, not re-synthesised)
    g_mask = r.garment.mask
    g_mean = garment[g_mask].reshape(-1, 3).mean(0)
    assert (r.layer.alpha > 0.5).mean() > 0.05  # the warped garment covers the torso
    out_mean = r.image[r.changed_region].reshape(-1, 3).mean(0)
    in_mean = person[r.changed_region].reshape(-1, 3).mean(0)
    assert np.abs(out_mean - g_mean).sum() < np.abs(in_mean - g_mean).sum()
    np.testing.assert_array_equal(r.image[~r.changed_region], person[~r.changed_region])


def test_learned_engine_never_reads_the_old_garment(shipped):
    """Leak-free: noise inside the removed region (the old garment) changes no output pixel."""
    person = load_image(example_person())
    garment = load_image(example_garments()[1])
    pa = shipped.analyze_person(person)
    r = shipped(pa, garment, protocol=Protocol.PAIRED)
    assert r.removed_region.sum() > 0.03 * r.removed_region.size
    noisy = person.copy()
    noisy[r.removed_region] = np.random.default_rng(0).integers(0, 256, (int(r.removed_region.sum()), 3), dtype=np.uint8)
    r2 = shipped(shipped.analyze_person(noisy, keypoints=(pa.keypoints, "body25"), parse=pa.parse), garment,
                 protocol=Protocol.PAIRED)
    np.testing.assert_array_equal(r.image, r2.image)


def test_garment_trust_scales_the_composition_mask(weights):
    from fitroom.pipelines.learned import LearnedEngine

    pipe = TryOnPipeline("learned", weights=weights)
    person = load_image(example_person())
    pa = pipe.analyze_person(person)
    ga = pipe.analyze_garment(load_image(example_garments()[0]))
    from fitroom.pipelines.regions import edit_regions

    regions = edit_regions(pa.parse, pa.frame, ga.category, Protocol.PAIRED)
    outs = {}
    for t in (0.0, 1.0, 2.0):
        eng = LearnedEngine(weights / "warp", weights / "tryon", garment_trust=t)
        outs[t] = eng.render(pa, ga, regions)[0].alpha
    # 0: the garment's torso never shows through (only the rendering), its sleeves always do;
    # 1 and 2 differ where the mask is < 1
    layer0 = LearnedEngine(weights / "warp", weights / "tryon", garment_trust=0.0).render(pa, ga, regions)[0]
    assert layer0.torso_alpha.max() < 1e-6 and np.array_equal(layer0.alpha, layer0.sleeve_alpha)
    assert outs[1.0].max() > 0 and not np.array_equal(outs[1.0], outs[2.0])
    assert np.all(outs[2.0] >= outs[1.0] - 1e-6)
    # the everyday protocol puts the warped garment itself down (its own mask), whatever the trust
    photo = edit_regions(pa.parse, pa.frame, ga.category, Protocol.PHOTO)
    a0 = LearnedEngine(weights / "warp", weights / "tryon", garment_trust=0.0).render(pa, ga, photo)[0].alpha
    assert a0.max() > 0.5
    with pytest.raises(ValueError, match="garment_trust"):
        LearnedEngine(weights / "warp", weights / "tryon", garment_trust=-1)


def test_network_inputs_match_the_training_data(shipped):
    """The networks see at inference what they saw in training: on a rendered synthetic
    sample, the engine's agnostic image is the dataset writer's ``agnostic-v3.2`` image."""
    from fitroom.data.synth.params import sample_params, sample_rng
    from fitroom.data.synth.render import render_sample
    from fitroom.data.synth.writer import agnostic_of
    from fitroom.labels import GarmentCategory
    from fitroom.pipelines.learned import network_inputs

    for index in (3, 7):  # seed 7: a sleeveless top and a dress
        r = render_sample(sample_params(sample_rng(7, index)), (256, 192))
        dress = r.meta["category"] == GarmentCategory.DRESS.value
        pa = shipped.analyze_person(r.image, keypoints=(r.keypoints, "body25"), parse=r.parse)
        ga = shipped.analyze_garment(r.garment_image, mask=r.garment_mask)
        net = network_inputs(pa, ga, (256, 192), dress=dress, box=(0, 0, 192, 256))
        expected, region = agnostic_of(r)
        assert region.mean() > 0.05
        np.testing.assert_array_equal(net.agnostic, expected)
        np.testing.assert_array_equal(net.parse, r.parse)
        np.testing.assert_allclose(net.keypoints[:, :2], r.keypoints[:, :2], atol=1e-4)
