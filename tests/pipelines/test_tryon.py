"""End-to-end try-ons on the bundled photo and on ../shared/realdata."""

import numpy as np
import pytest

from fitroom.data.layouts import read_dataset
from fitroom.data.render_garment import render_garment
from fitroom.examples import example_garments, example_person
from fitroom.imaging import load_image
from fitroom.labels import GarmentCategory
from fitroom.pipelines import Protocol, TryOnPipeline


@pytest.fixture(scope="module")
def pipe():
    return TryOnPipeline("classical")  # these tests are about the classical engine (learned: test_learned.py)


@pytest.fixture(scope="module")
def person():
    return load_image(example_person())


@pytest.mark.parametrize("category", [GarmentCategory.SHORT_SLEEVE_TOP, GarmentCategory.LONG_SLEEVE_TOP,
                                      GarmentCategory.SLEEVELESS_TOP, GarmentCategory.DRESS])
def test_try_on_each_category(pipe, person, category):
    g = render_garment(category, seed=3)
    r = pipe(person, g.image)
    assert r.image.shape == person.shape and r.image.dtype == np.uint8
    assert r.garment.category == category
    # pixels outside the changed region are the input's, bit for bit
    np.testing.assert_array_equal(r.image[~r.changed_region], person[~r.changed_region])
    # the garment really is there: its colour appears where the chest is
    assert r.changed_region.mean() > 0.05
    for stage in ("person", "garment", "warp", "compose", "total"):
        assert stage in r.timings_ms


def test_person_analysis_is_cached_and_reused(pipe, person):
    a = pipe.analyze_person(person)
    assert pipe.analyze_person(person.copy()) is a  # same content -> same analysis
    g1, g2 = (load_image(p) for p in example_garments()[:2])
    r1, r2 = pipe(a, g1), pipe(a, g2)
    assert r1.person is r2.person is a
    assert not np.array_equal(r1.image, r2.image)


def test_paired_protocol_ignores_everything_inside_the_agnostic_region(pipe, person):
    """The leak-free protocol: noise inside the region that is treated as unknown must not
    change a single output pixel."""
    g = load_image(example_garments()[0])
    pa = pipe.analyze_person(person)
    r = pipe(pa, g, protocol=Protocol.PAIRED)
    noisy = person.copy()
    rng = np.random.default_rng(0)
    noisy[r.removed_region] = rng.integers(0, 256, (int(r.removed_region.sum()), 3), dtype=np.uint8)
    pa_noisy = pipe.analyze_person(noisy, keypoints=(pa.keypoints, "body25"), parse=pa.parse)
    r2 = pipe(pa_noisy, g, protocol=Protocol.PAIRED)
    np.testing.assert_array_equal(r.image, r2.image)


@pytest.mark.realdata
def test_paired_protocol_is_leak_free_on_a_real_paired_sample(realdata, pipe):
    s = next(x for x in read_dataset(realdata / "viton256_paired") if x.person_id == "003491_0")
    person, parse, kp = s.load_person(), s.load_parse(), s.load_keypoints()
    pa = pipe.analyze_person(person, keypoints=kp, parse=parse)
    r = pipe(pa, s.load_garment(), protocol=Protocol.PAIRED)
    noisy = person.copy()
    noisy[r.removed_region] = np.random.default_rng(1).integers(0, 256, (int(r.removed_region.sum()), 3), dtype=np.uint8)
    r2 = pipe(pipe.analyze_person(noisy, keypoints=kp, parse=parse), s.load_garment(), protocol=Protocol.PAIRED)
    np.testing.assert_array_equal(r.image, r2.image)
    # and the noise really was in the input: the region is not empty
    assert r.removed_region.sum() > 0.05 * r.removed_region.size


def test_weights_are_named_sets_or_folders(tmp_path):
    from fitroom.errors import FitroomError
    from fitroom.pipelines.tryon import DEFAULT_WEIGHT_SET, DEFAULT_WEIGHTS, WEIGHT_SETS, resolve_weights

    assert resolve_weights(None) == DEFAULT_WEIGHTS == WEIGHT_SETS[DEFAULT_WEIGHT_SET]
    for name, folder in WEIGHT_SETS.items():
        assert resolve_weights(name) == folder
        # every shipped set is complete and says its licence in its model card
        assert (folder / "warp" / "model.safetensors").is_file() and (folder / "tryon" / "model.safetensors").is_file()
        card = (folder / "MODEL_CARD.md").read_text()
        assert "| Licence |" in card
    assert "CC BY-NC 4.0" in (WEIGHT_SETS["real"] / "MODEL_CARD.md").read_text()
    assert "Apache-2.0" in (WEIGHT_SETS["synthetic"] / "MODEL_CARD.md").read_text()
    (tmp_path / "warp").mkdir()
    (tmp_path / "tryon").mkdir()
    assert resolve_weights(tmp_path) == tmp_path
    with pytest.raises(FitroomError, match="not one of real, synthetic"):
        resolve_weights(tmp_path / "nope")
    # all shipped weights together stay small
    total = sum(p.stat().st_size for p in WEIGHT_SETS["real"].parent.rglob("*.safetensors"))
    assert total < 40e6
