"""The learned engine's plumbing, with small untrained networks (no weights ship yet)."""

import numpy as np
import pytest

from fitroom.errors import FitroomError
from fitroom.examples import example_garments, example_person
from fitroom.imaging import load_image
from fitroom.models import build
from fitroom.pipelines import TryOnPipeline


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
