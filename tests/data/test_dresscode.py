"""DressCode: layout, pair lists, ATR label maps mapped to CIHP, keypoints at 384x512."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fitroom.data import detect_layout, read_dataset
from fitroom.data.dresscode import (
    CATEGORIES,
    DRESSCODE_TO_CIHP,
    DressCodeLabel,
    dresscode_parse_to_cihp,
    read_dresscode_keypoints,
)
from fitroom.errors import DatasetError, KeypointsError
from fitroom.labels import Cihp, Coco18, KeypointFormat

H, W = 64, 48  # a DressCode photo at 1/16 of 1024x768
IDS = {"upper_body": ("000000", "000001"), "lower_body": ("013563", "013564"), "dresses": ("020714", "020715")}


def _label_map(category: str) -> np.ndarray:
    m = np.full((H, W), DressCodeLabel.BACKGROUND, np.uint8)
    m[2:10, 18:30] = DressCodeLabel.HEAD
    m[0:3, 18:30] = DressCodeLabel.HAIR
    garment = {"upper_body": DressCodeLabel.UPPER_CLOTHES, "lower_body": DressCodeLabel.PANTS,
               "dresses": DressCodeLabel.DRESS}[category]
    m[12:44, 14:34] = garment
    m[30:32, 14:34] = DressCodeLabel.BELT  # a belt on the garment
    m[14:40, 6:14] = DressCodeLabel.RIGHT_ARM   # the person's right: image left
    m[14:40, 34:42] = DressCodeLabel.LEFT_ARM
    m[44:60, 16:23] = DressCodeLabel.RIGHT_LEG
    m[44:60, 25:32] = DressCodeLabel.LEFT_LEG
    m[60:64, 16:23] = DressCodeLabel.RIGHT_SHOE
    m[60:64, 25:32] = DressCodeLabel.LEFT_SHOE
    m[20:30, 42:47] = DressCodeLabel.BAG
    return m


def _keypoints(path: Path) -> None:
    # COCO-18 rows [x, y, score, k] at 384x512; left ankle (13) missing as [-1, -1, 0, -1]
    rows = [[10.0 * k, 20.0 * k, 0.9, float(k)] for k in range(18)]
    rows[Coco18.LEFT_ANKLE] = [-1.0, -1.0, 0.0, -1.0]
    path.write_text(json.dumps({"keypoints": rows}))


def make_dresscode(root: Path, *, per_category_lists: bool = True, root_lists: bool = False,
                   masks: bool = False) -> Path:
    """A DressCode folder: three categories, two persons each, with every annotation."""
    rng = np.random.default_rng(0)
    lines: dict[str, list[str]] = {"train_pairs.txt": [], "test_pairs_paired.txt": [], "test_pairs_unpaired.txt": []}
    for cat in CATEGORIES:
        d = root / cat
        for sub in ("images", "keypoints", "label_maps", "dense", "skeletons") + (("masks",) if masks else ()):
            (d / sub).mkdir(parents=True)
        a, b = IDS[cat]
        for i in (a, b):
            Image.fromarray(rng.integers(0, 256, (H, W, 3), dtype=np.uint8)).save(d / "images" / f"{i}_0.jpg")
            Image.fromarray(rng.integers(0, 256, (H, W, 3), dtype=np.uint8)).save(d / "images" / f"{i}_1.jpg")
            _keypoints(d / "keypoints" / f"{i}_2.json")
            Image.fromarray(_label_map(cat), mode="L").save(d / "label_maps" / f"{i}_4.png")
            Image.fromarray(np.full((H, W), 3, np.uint8)).save(d / "dense" / f"{i}_5.png")
            Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(d / "skeletons" / f"{i}_5.jpg")
            if masks:
                Image.fromarray(np.full((H, W), 255, np.uint8)).save(d / "masks" / f"{i}_1.png")
        cat_lines = {
            "train_pairs.txt": [f"{a}_0.jpg {a}_1.jpg"],
            "test_pairs_paired.txt": [f"{b}_0.jpg {b}_1.jpg"],
            "test_pairs_unpaired.txt": [f"{b}_0.jpg {a}_1.jpg"],
        }
        for name, ls in cat_lines.items():
            if per_category_lists:
                (d / name).write_text("\n".join(ls) + "\n")
            lines[name] += ls
    if root_lists:
        for name, ls in lines.items():
            (root / name).write_text("\n".join(ls) + "\n")
    return root


def test_detect_and_read_test_paired(tmp_path):
    root = make_dresscode(tmp_path / "DressCode")
    assert detect_layout(root) == "dresscode"
    samples = read_dataset(root, split="test")  # paired by default, as in the authors' loader
    assert [s.category for s in samples] == list(CATEGORIES)
    assert [s.person_id for s in samples] == [f"{IDS[c][1]}_0" for c in CATEGORIES]
    for s in samples:
        assert s.paired and s.garment_id == s.person_id[:-2] + "_1"
        assert s.subset == f"DressCode/{s.category}"
        base = s.person_id[:-2]
        assert s.keypoints_path.name == f"{base}_2.json" and s.parse_path.name == f"{base}_4.png"
        assert s.densepose_path.name == f"{base}_5.png" and s.skeleton_path.name == f"{base}_5.jpg"
        assert s.garment_mask_path is None  # DressCode ships no garment masks
        assert s.load_densepose().shape == (H, W)


def test_unpaired_and_train_lists(tmp_path):
    root = make_dresscode(tmp_path / "dc")
    unpaired = read_dataset(root, split="test", order="unpaired")
    assert len(unpaired) == 3 and not any(s.paired for s in unpaired)
    train = read_dataset(root, split="train")
    assert [s.person_id for s in train] == [f"{IDS[c][0]}_0" for c in CATEGORIES]
    with pytest.raises(DatasetError, match="train and test pair lists; choose one with split="):
        read_dataset(root)
    with pytest.raises(DatasetError, match="not 'val'"):
        read_dataset(root, split="val")
    with pytest.raises(DatasetError, match="order must be"):
        read_dataset(root, split="test", order="both")


def test_categories_and_single_category_folder(tmp_path):
    root = make_dresscode(tmp_path / "dc")
    (s,) = read_dataset(root, split="test", categories=["dresses"])
    assert s.category == "dresses"
    with pytest.raises(DatasetError, match="unknown DressCode categories"):
        read_dataset(root, split="test", categories=["shoes"])
    assert detect_layout(root / "lower_body") == "dresscode"
    (s,) = read_dataset(root / "lower_body", split="test")
    assert s.category == "lower_body" and s.subset == "dc/lower_body"


def test_root_lists(tmp_path):
    root = make_dresscode(tmp_path / "dc", per_category_lists=False, root_lists=True)
    samples = read_dataset(root, split="test", order="unpaired")
    assert sorted(s.category for s in samples) == sorted(CATEGORIES)
    for s in samples:
        assert s.person_path.parent.parent.name == s.category
    # a third column naming the category is honoured
    (root / "extra.txt").write_text(f"{IDS['dresses'][0]}_0.jpg {IDS['dresses'][1]}_1.jpg dresses\n")
    (s,) = read_dataset(root, pairs_file=root / "extra.txt")
    assert s.category == "dresses" and not s.paired


def test_missing_files_are_named(tmp_path):
    root = make_dresscode(tmp_path / "dc")
    (root / "dresses" / "images" / f"{IDS['dresses'][1]}_0.jpg").unlink()
    with pytest.raises(DatasetError, match=r"person image .*dresses.images.020715_0\.jpg does not exist \(named in .*test_pairs_paired\.txt\)"):
        read_dataset(root, split="test")
    (root / "upper_body" / "images" / f"{IDS['upper_body'][0]}_1.jpg").unlink()
    with pytest.raises(DatasetError, match=r"garment image .*000000_1\.jpg does not exist"):
        read_dataset(root, split="train")
    (root / "lower_body" / "train_pairs.txt").unlink()
    with pytest.raises(DatasetError, match=r"pair list .*lower_body.train_pairs\.txt does not exist"):
        read_dataset(root, split="train", categories=["lower_body"])


def test_missing_optional_annotations_are_none(tmp_path):
    root = make_dresscode(tmp_path / "dc", masks=True)
    b = IDS["upper_body"][1]
    (root / "upper_body" / "label_maps" / f"{b}_4.png").unlink()
    (root / "upper_body" / "keypoints" / f"{b}_2.json").unlink()
    s = read_dataset(root, split="test", categories=["upper_body"])[0]
    assert s.parse_path is None and s.keypoints_path is None
    assert s.load_parse() is None and s.load_keypoints() is None
    assert s.garment_mask_path.name == f"{b}_1.png" and s.load_garment_mask().all()


# --- label maps --------------------------------------------------------------------------
def test_every_label_maps_by_name():
    same = {"HEAD": "FACE", "BAG": "BACKGROUND", "BELT": "PANTS"}
    for lab, cihp in DRESSCODE_TO_CIHP.items():
        assert cihp.name == same.get(lab.name, lab.name)
    assert len(DRESSCODE_TO_CIHP) == 18


@pytest.mark.parametrize("category", CATEGORIES)
def test_label_map_loaded_as_cihp(tmp_path, category):
    root = make_dresscode(tmp_path / "dc")
    (s,) = read_dataset(root, split="test", categories=[category])
    parse = s.load_parse()
    src = _label_map(category)
    assert parse.dtype == np.uint8 and parse.shape == (H, W)
    garment = {"upper_body": Cihp.UPPER_CLOTHES, "lower_body": Cihp.PANTS, "dresses": Cihp.DRESS}[category]
    assert (parse[src == DressCodeLabel.BELT] == garment).all()  # the belt joins its garment
    assert (parse[src == DressCodeLabel.LEFT_ARM] == Cihp.LEFT_ARM).all()
    assert (parse[src == DressCodeLabel.RIGHT_ARM] == Cihp.RIGHT_ARM).all()
    assert (parse[src == DressCodeLabel.LEFT_SHOE] == Cihp.LEFT_SHOE).all()
    assert (parse[src == DressCodeLabel.RIGHT_LEG] == Cihp.RIGHT_LEG).all()
    assert (parse[src == DressCodeLabel.HEAD] == Cihp.FACE).all()
    assert (parse[src == DressCodeLabel.HAIR] == Cihp.HAIR).all()
    assert (parse[src == DressCodeLabel.BAG] == Cihp.BACKGROUND).all()


def test_belt_takes_nearest_garment_and_bad_ids():
    m = np.zeros((10, 10), np.uint8)
    m[:5] = DressCodeLabel.UPPER_CLOTHES
    m[6:] = DressCodeLabel.SKIRT
    m[5, :] = DressCodeLabel.BELT
    m[5, :5] = DressCodeLabel.BELT
    out = dresscode_parse_to_cihp(m)
    assert set(np.unique(out[5])) <= {Cihp.UPPER_CLOTHES, Cihp.SKIRT}
    lone = np.zeros((4, 4), np.uint8)
    lone[1, 1] = DressCodeLabel.BELT
    assert dresscode_parse_to_cihp(lone)[1, 1] == Cihp.PANTS
    with pytest.raises(ValueError, match="0-17"):
        dresscode_parse_to_cihp(np.full((2, 2), 18, np.uint8))


def test_label_map_with_bad_id_is_dataset_error(tmp_path):
    root = make_dresscode(tmp_path / "dc")
    (s,) = read_dataset(root, split="test", categories=["dresses"])
    Image.fromarray(np.full((H, W), 20, np.uint8)).save(s.parse_path)
    with pytest.raises(DatasetError, match=r"label map .*_4\.png contains label 20"):
        s.load_parse()


# --- keypoints ---------------------------------------------------------------------------
def test_keypoints_scaled_from_384x512(tmp_path):
    root = make_dresscode(tmp_path / "dc")
    (s,) = read_dataset(root, split="test", categories=["upper_body"])
    kp, fmt = s.load_keypoints()
    assert fmt is KeypointFormat.COCO18 and kp.shape == (18, 3) and kp.dtype == np.float32
    sx, sy = W / 384, H / 512
    k = Coco18.RIGHT_WRIST
    np.testing.assert_allclose(kp[k], [(10 * k + 0.5) * sx - 0.5, (20 * k + 0.5) * sy - 0.5, 0.9], rtol=1e-6)
    assert (kp[Coco18.LEFT_ANKLE] == 0).all()  # [-1, -1, 0, -1] is missing
    body25 = s.load_keypoints_body25()
    assert body25.shape == (25, 3)


def test_keypoints_of_full_size_photo_are_doubled(tmp_path):
    p = tmp_path / "k.json"
    _keypoints(p)
    kp, _ = read_dresscode_keypoints(p, (768, 1024))
    np.testing.assert_allclose(kp[Coco18.NECK, :2], [2 * 10 + 0.5, 2 * 20 + 0.5])
    raw, _ = read_dresscode_keypoints(p)
    np.testing.assert_allclose(raw[Coco18.NECK, :2], [10, 20])


def test_malformed_keypoints(tmp_path):
    p = tmp_path / "k.json"
    p.write_text(json.dumps({"people": []}))
    with pytest.raises(KeypointsError, match="no 'keypoints' list"):
        read_dresscode_keypoints(p)
    p.write_text(json.dumps({"keypoints": [[1, 2, 3, 0]] * 5}))
    with pytest.raises(KeypointsError, match="expected 18 points"):
        read_dresscode_keypoints(p)
    with pytest.raises(KeypointsError, match="does not exist"):
        read_dresscode_keypoints(tmp_path / "none.json")


def test_collection_with_dresscode_member(tmp_path, cpvton):
    root = tmp_path / "coll"
    cpvton(root / "a_viton", ids=("000001",))
    make_dresscode(root / "b_dc")
    assert detect_layout(root) == "collection"
    samples = read_dataset(root, split="test")
    assert [s.subset for s in samples] == ["a_viton"] + [f"b_dc/{c}" for c in CATEGORIES]
