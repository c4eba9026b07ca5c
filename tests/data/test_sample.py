"""TryOnSample: paths in, arrays out on demand."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fitroom.data.sample import TryOnSample
from fitroom.errors import DatasetError
from fitroom.labels import CIHP_PALETTE, Cihp, KeypointFormat


def _sample(root: Path, sid: str = "000001", **kw) -> TryOnSample:
    paths = dict(
        person_id=f"{sid}_0",
        garment_id=f"{sid}_1",
        person_path=root / "image" / f"{sid}_0.jpg",
        garment_path=root / "cloth" / f"{sid}_1.jpg",
        garment_mask_path=root / "cloth-mask" / f"{sid}_1.jpg",
        parse_path=root / "image-parse" / f"{sid}_0.png",
        keypoints_path=root / "pose" / f"{sid}_0_keypoints.json",
        paired=True,
        subset="tiny",
    )
    paths.update(kw)
    return TryOnSample(**paths)


def test_loaders(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds")
    s = _sample(root)
    person, garment = s.load_person(), s.load_garment()
    assert person.shape == (16, 12, 3) and person.dtype == np.uint8
    assert garment.shape == (16, 12, 3) and garment.dtype == np.uint8
    mask = s.load_garment_mask()
    assert mask.dtype == bool and mask.shape == (16, 12)
    assert mask[4:12, 3:9].all() and not mask[:3].any()
    parse = s.load_parse()
    assert parse.dtype == np.uint8 and parse.shape == (16, 12)
    assert parse[5, 5] == Cihp.UPPER_CLOTHES and parse[0, 0] == Cihp.BACKGROUND
    kp, fmt = s.load_keypoints()
    assert fmt is KeypointFormat.COCO18 and kp.shape == (18, 3)


def test_rgb_mask_is_read(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds", underscore=True, ext=".png")
    s = _sample(root, person_path=root / "image" / "000001_0.png", garment_path=root / "cloth" / "000001_1.png",
                garment_mask_path=root / "cloth_mask" / "000001_1.png")
    assert Image.open(s.garment_mask_path).mode == "RGB"
    assert s.load_garment_mask().sum() == 8 * 6


def test_optional_parts_are_none(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds", mask=False, parse=False, pose=False)
    s = _sample(root, garment_mask_path=None, parse_path=None, keypoints_path=None)
    assert s.load_garment_mask() is None
    assert s.load_parse() is None
    assert s.load_keypoints() is None
    assert s.load_person().shape == (16, 12, 3)


def test_frozen_and_cheap(tmp_path):
    s = _sample(tmp_path)  # nothing exists: constructing a sample reads nothing
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.paired = False  # type: ignore[misc]
    assert dataclasses.replace(s, paired=False).paired is False
    assert hash(s) == hash(_sample(tmp_path))


def test_missing_file_is_named(tmp_path):
    s = _sample(tmp_path)
    with pytest.raises(DatasetError, match=r"person image .*000001_0\.jpg does not exist"):
        s.load_person()


def test_corrupt_image_is_a_dataset_error(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds")
    (root / "cloth" / "000001_1.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DatasetError, match="garment image .* could not be decoded"):
        _sample(root).load_garment()


def test_rgb_parse_rendering_is_converted(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds")
    ids = np.array(_sample(root).load_parse())
    rgb_path = tmp_path / "parse_rgb.png"
    Image.fromarray(CIHP_PALETTE[ids]).save(rgb_path)
    np.testing.assert_array_equal(_sample(root, parse_path=rgb_path).load_parse(), ids)
    odd = CIHP_PALETTE[ids].copy()
    odd[0, 0] = (1, 2, 3)
    Image.fromarray(odd).save(rgb_path)
    with pytest.raises(DatasetError, match="not the CIHP palette"):
        _sample(root, parse_path=rgb_path).load_parse()


def test_parse_label_out_of_range(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds")
    bad = tmp_path / "bad.png"
    Image.fromarray(np.full((4, 4), 25, np.uint8), mode="L").save(bad)
    with pytest.raises(DatasetError, match="contains label 25"):
        _sample(root, parse_path=bad).load_parse()


@pytest.mark.realdata
def test_every_real_sample_loads(realdata):
    from fitroom.data.layouts import read_dataset

    samples = read_dataset(realdata)
    assert samples
    for s in samples:
        person, garment = s.load_person(), s.load_garment()
        assert person.dtype == np.uint8 and person.ndim == 3 and person.shape[2] == 3
        assert garment.shape == person.shape  # all three sets: garment photo at person size
        mask = s.load_garment_mask()
        assert mask.shape == garment.shape[:2] and 0.05 < mask.mean() < 0.95
        parse = s.load_parse()
        assert parse.shape == person.shape[:2]
        assert parse.max() <= 19
        # the person is there and wears a top or a dress
        assert (parse == Cihp.FACE).any()
        assert np.isin(parse, [Cihp.UPPER_CLOTHES, Cihp.DRESS]).any()
        kp, fmt = s.load_keypoints()
        h, w = person.shape[:2]
        seen = kp[kp[:, 2] > 0]
        assert len(seen) >= 10
        assert (seen[:, 0] <= w).all() and (seen[:, 1] <= h).all()
