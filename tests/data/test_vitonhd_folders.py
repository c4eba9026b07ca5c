"""VITON-HD: agnostic-v3.2, agnostic-mask, image-densepose, openpose_img and the
first-release names; test_pairs_unpaired.txt."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from fitroom.data import detect_layout, read_dataset
from fitroom.errors import DatasetError

from .conftest import H, W


def _extra_folders(root, ids, skeleton_dir="openpose_img"):
    for n in ("agnostic-v3.2", "agnostic-mask", "image-densepose", skeleton_dir):
        (root / n).mkdir()
    for i, sid in enumerate(ids):
        Image.fromarray(np.full((H, W, 3), 128, np.uint8)).save(root / "agnostic-v3.2" / f"{sid}.jpg")
        m = np.zeros((H, W), np.uint8)
        m[4:10] = 255
        Image.fromarray(m).save(root / "agnostic-mask" / f"{sid}_mask.png")
        Image.fromarray(np.full((H, W, 3), (i, 50, 200), np.uint8)).save(root / "image-densepose" / f"{sid}.jpg")
        Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(root / skeleton_dir / f"{sid}_rendered.png")


@pytest.mark.parametrize(("parse_dir", "pose_dir", "skeleton_dir"),
                         [("image-parse-v3", "openpose_json", "openpose_img"),
                          ("image-parse", "openpose-json", "openpose-img")])
def test_new_folders_on_sample(tmp_path, vitonhd, parse_dir, pose_dir, skeleton_dir):
    ids = ("00001_00", "00002_00")
    root = vitonhd(tmp_path / "hd", persons=ids, garments=ids, parse_dir=parse_dir, pose_dir=pose_dir)
    _extra_folders(root, ids, skeleton_dir)
    assert detect_layout(root) == "viton-hd"
    for s in read_dataset(root):
        assert s.agnostic_path.parent.name == "agnostic-v3.2" and s.agnostic_path.stem == s.person_id
        assert s.agnostic_mask_path.name == f"{s.person_id}_mask.png"
        assert s.densepose_path.parent.name == "image-densepose"
        assert s.skeleton_path.name == f"{s.person_id}_rendered.png"
        assert s.parse_path.parent.name == parse_dir and s.keypoints_path.parent.name == pose_dir
        assert s.load_agnostic().shape == (H, W, 3)
        am = s.load_agnostic_mask()
        assert am.dtype == bool and am[5].all() and not am[0].any()
        assert s.load_densepose().shape == (H, W, 3)
        assert s.load_skeleton().shape == (H, W, 3)


def test_absent_new_folders_are_none(tmp_path, vitonhd):
    s = read_dataset(vitonhd(tmp_path / "hd"))[0]
    assert s.agnostic_path is s.agnostic_mask_path is s.densepose_path is s.skeleton_path is None
    assert s.load_agnostic() is None and s.load_densepose() is None


def test_only_agnostic_folder_tells_vitonhd(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds", pairs=False, parse=False, pose=False)
    (root / "agnostic-v3.2").mkdir()
    assert detect_layout(root) == "viton-hd"


def test_missing_agnostic_file_is_dataset_error(tmp_path, vitonhd):
    ids = ("00001_00",)
    root = vitonhd(tmp_path / "hd", persons=ids, garments=ids)
    _extra_folders(root, ids)
    s = read_dataset(root)[0]
    s.agnostic_path.unlink()
    with pytest.raises(DatasetError, match=r"agnostic image .*00001_00\.jpg does not exist"):
        s.load_agnostic()


def test_test_pairs_unpaired(tmp_path, vitonhd):
    root = tmp_path / "VITON-HD"
    ids = ("00001_00", "00002_00")
    vitonhd(root / "test", persons=ids, garments=ids)
    (root / "test_pairs.txt").write_text("00001_00.jpg 00002_00.jpg\n")
    (root / "test_pairs_paired.txt").write_text("00001_00.jpg 00001_00.jpg\n00002_00.jpg 00002_00.jpg\n")
    assert len(read_dataset(root, split="test")) == 1  # test_pairs.txt, as before
    paired = read_dataset(root, split="test", order="paired")
    assert len(paired) == 2 and all(s.paired for s in paired)
    (un,) = read_dataset(root, split="test", order="unpaired")  # falls back to test_pairs.txt
    assert not un.paired
    (root / "test_pairs_unpaired.txt").write_text("00002_00.jpg 00001_00.jpg\n")
    (un,) = read_dataset(root, split="test", order="unpaired")
    assert un.person_id == "00002_00"
    with pytest.raises(DatasetError, match="give split="):
        read_dataset(root / "test", order="paired")


def test_order_without_list_is_error(tmp_path, vitonhd):
    root = tmp_path / "hd"
    vitonhd(root / "test")
    with pytest.raises(DatasetError, match=r"no test_pairs_paired\.txt"):
        read_dataset(root, split="test", order="paired")
