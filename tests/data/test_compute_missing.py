"""Missing optional annotations computed with fitroom's own analysis, on a real photo."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest
from PIL import Image

from fitroom.data import read_dataset
from fitroom.data.render_garment import render_garment
from fitroom.data.sample import _own_analysis
from fitroom.errors import DatasetError
from fitroom.labels import Cihp, KeypointFormat


@pytest.fixture
def bare_hd(tmp_path):
    """A VITON-HD folder with only image/ and cloth/: the astronaut and a rendered tee."""
    root = tmp_path / "hd"
    (root / "image").mkdir(parents=True)
    (root / "cloth").mkdir()
    photo = Image.open(files("fitroom.examples") / "astronaut.jpg").convert("RGB")
    photo.thumbnail((384, 384))
    photo.save(root / "image" / "00001_00.jpg", quality=95)
    tee = render_garment("short-sleeve top", size=(192, 256), seed=3, pattern="solid", colour=(176, 32, 44))
    Image.fromarray(tee.image).save(root / "cloth" / "00001_00.png")
    return root, tee


def test_default_is_none_and_computed_on_request(bare_hd):
    root, tee = bare_hd
    (s,) = read_dataset(root)
    assert s.garment_mask_path is None and s.parse_path is None and s.keypoints_path is None
    assert s.load_garment_mask() is None and s.load_parse() is None and s.load_keypoints() is None

    mask = s.load_garment_mask(compute_missing=True)
    assert mask.shape == tee.mask.shape and mask.dtype == bool
    iou = (mask & tee.mask).sum() / (mask | tee.mask).sum()
    assert iou > 0.9

    _own_analysis.cache_clear()
    person = s.load_person()
    parse = s.load_parse(compute_missing=True)
    kp, fmt = s.load_keypoints(compute_missing=True)
    assert _own_analysis.cache_info().misses == 1  # one analysis served both
    assert parse.shape == person.shape[:2] and parse.dtype == np.uint8 and parse.max() < len(Cihp)
    assert (parse == Cihp.FACE).any()
    assert fmt is KeypointFormat.BODY25 and kp.shape == (25, 3)
    assert kp[:, 2].max() > 0
    assert s.load_keypoints_body25(compute_missing=True).shape == (25, 3)


def test_present_files_are_read_not_computed(tmp_path, vitonhd):
    root = vitonhd(tmp_path / "hd")
    s = read_dataset(root)[0]
    _own_analysis.cache_clear()
    np.testing.assert_array_equal(s.load_parse(compute_missing=True), s.load_parse())
    assert s.load_keypoints(compute_missing=True)[1] is KeypointFormat.BODY25
    assert s.load_garment_mask(compute_missing=True).sum() == 8 * 6
    assert _own_analysis.cache_info().misses == 0


def test_failed_computation_names_the_file(tmp_path, vitonhd):
    root = vitonhd(tmp_path / "hd", persons=("00001_00",), garments=("00010_00",))
    for d in ("cloth-mask", "image-parse-v3", "openpose_json"):
        for p in (root / d).iterdir():
            p.unlink()
    (s,) = read_dataset(root)  # 16x12 noise: neither a person nor a garment
    with pytest.raises(DatasetError, match=r"garment mask of .*00010_00\.jpg .*failed"):
        s.load_garment_mask(compute_missing=True)
    with pytest.raises(DatasetError, match=r"person analysis of .*00001_00\.jpg .*failed"):
        s.load_parse(compute_missing=True)
