"""Dataset layout detection and reading."""

from __future__ import annotations

from collections import Counter

import pytest

from fitroom.data.layouts import Layout, detect_layout, is_paired, read_dataset, read_pairs_file
from fitroom.errors import DatasetError
from fitroom.labels import KeypointFormat


# --- pairing rule ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("person", "garment", "paired"),
    [
        ("000001_0", "000001_1", True),  # cp-vton / VITON / dress set
        ("001_0", "001_1", True),
        ("00000_00", "00000_00", True),  # VITON-HD train_pairs.txt
        ("000001_0", "000010_1", False),
        ("00891_00", "06802_00", False),  # VITON-HD test_pairs.txt
        ("000001_1", "000001_0", False),  # the wrong way round
        ("x_0", "y_1", False),
    ],
)
def test_is_paired(person, garment, paired):
    assert is_paired(person, garment) is paired


# --- cp-vton -----------------------------------------------------------------------------
@pytest.mark.parametrize(("underscore", "ext"), [(False, ".jpg"), (True, ".png")])
def test_cpvton_both_spellings(tmp_path, cpvton, underscore, ext):
    root = cpvton(tmp_path / "viton_tiny", underscore=underscore, ext=ext)
    assert detect_layout(root) == Layout.CPVTON == "cp-vton"
    samples = read_dataset(root)
    assert [s.person_id for s in samples] == ["000001_0", "000002_0", "000003_0"]
    assert [s.garment_id for s in samples] == ["000001_1", "000002_1", "000003_1"]
    for s in samples:
        assert s.paired and s.subset == "viton_tiny"
        assert s.person_path == root / "image" / f"{s.person_id}{ext}"
        assert s.garment_mask_path.parent.name == ("cloth_mask" if underscore else "cloth-mask")
        assert s.parse_path.parent.name == ("image_parse" if underscore else "image-parse")
        assert s.keypoints_path.name == f"{s.person_id}_keypoints.json"
        assert s.load_keypoints()[1] is KeypointFormat.COCO18


def test_cpvton_without_optional_folders(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds", mask=False, parse=False, pose=False)
    assert detect_layout(root) == "cp-vton"  # pairs.txt tells
    for s in read_dataset(root):
        assert s.garment_mask_path is None and s.parse_path is None and s.keypoints_path is None
        assert s.load_parse() is None


def test_missing_optional_file_is_none(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds")
    (root / "image-parse" / "000002_0.png").unlink()
    (root / "pose" / "000003_0_keypoints.json").unlink()
    s1, s2, s3 = read_dataset(root)
    assert s1.parse_path is not None and s2.parse_path is None
    assert s2.keypoints_path is not None and s3.keypoints_path is None


def test_pairs_file_unpaired_lines_and_extras(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds", pairs=False)
    (root / "pairs.txt").write_text(
        "# person garment\n\n000001_0.jpg 000002_1.jpg\n000003_0.jpg   000003_1.jpg  upper_body\n"
    )
    a, b = read_dataset(root)
    assert (a.person_id, a.garment_id, a.paired) == ("000001_0", "000002_1", False)
    assert (b.person_id, b.garment_id, b.paired) == ("000003_0", "000003_1", True)
    assert a.garment_mask_path.name == "000002_1.jpg"
    assert a.parse_path.name == "000001_0.png"


def test_pairs_without_extensions(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds", pairs=[("000001_0", "000001_1")])
    (s,) = read_dataset(root)
    assert s.person_path.name == "000001_0.jpg" and s.garment_path.name == "000001_1.jpg"


def test_missing_person_named(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds")
    (root / "image" / "000002_0.jpg").unlink()
    with pytest.raises(DatasetError, match=r"person image .*000002_0\.jpg does not exist \(named in .*pairs\.txt\)"):
        read_dataset(root)


def test_missing_garment_named(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds")
    (root / "cloth" / "000003_1.jpg").unlink()
    with pytest.raises(DatasetError, match=r"garment image .*000003_1\.jpg does not exist"):
        read_dataset(root)


def test_malformed_pairs(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds", pairs=False)
    (root / "pairs.txt").write_text("000001_0.jpg 000001_1.jpg\n000002_0.jpg\n")
    with pytest.raises(DatasetError, match="line 2 of pair list .* has one name"):
        read_dataset(root)
    (root / "pairs.txt").write_text("\n# nothing\n")
    with pytest.raises(DatasetError, match="lists no pairs"):
        read_dataset(root)
    with pytest.raises(DatasetError, match="does not exist"):
        read_pairs_file(root / "other.txt")


def test_several_pair_lists_are_ambiguous(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds")
    (root / "test_pairs.txt").write_text("000001_0.jpg 000002_1.jpg\n")
    with pytest.raises(DatasetError, match=r"several pair lists \(pairs.txt, test_pairs.txt\)"):
        read_dataset(root)
    assert len(read_dataset(root, pairs_file=root / "pairs.txt")) == 3
    (s,) = read_dataset(root, split="test")
    assert not s.paired


# --- VITON-HD ----------------------------------------------------------------------------
def test_vitonhd_without_pairs_is_unpaired_in_sorted_order(tmp_path, vitonhd):
    root = vitonhd(tmp_path / "hd")
    assert detect_layout(root) == Layout.VITONHD == "viton-hd"
    samples = read_dataset(root)
    assert [(s.person_id, s.garment_id) for s in samples] == [
        ("00001_00", "00010_00"),
        ("00002_00", "00011_00"),
        ("00003_00", "00010_00"),  # garment i mod G
    ]
    for s in samples:
        assert not s.paired and s.subset == "hd"
        assert s.parse_path.parent.name == "image-parse-v3"
        assert s.garment_mask_path.name == f"{s.garment_id}.jpg"
        assert s.load_keypoints()[1] is KeypointFormat.BODY25


def test_vitonhd_own_garments_without_pairs_are_paired(tmp_path, vitonhd):
    # the VITON-HD test folder holds every person's own garment: sorted i-with-i is paired
    ids = ("00001_00", "00002_00")
    samples = read_dataset(vitonhd(tmp_path / "hd", persons=ids, garments=ids))
    assert all(s.paired and s.person_id == s.garment_id for s in samples)


def test_vitonhd_hyphen_spelling(tmp_path, vitonhd):
    root = vitonhd(tmp_path / "hd", parse_dir="image-parse", pose_dir="openpose-json")
    assert detect_layout(root) == "viton-hd"
    s = read_dataset(root)[0]
    assert s.parse_path.parent.name == "image-parse" and s.keypoints_path.parent.name == "openpose-json"


def test_vitonhd_pairs(tmp_path, vitonhd):
    ids = ("00001_00", "00002_00")
    root = vitonhd(tmp_path / "hd", persons=ids, garments=ids,
                   pairs=[("00001_00.jpg", "00002_00.jpg"), ("00002_00.jpg", "00002_00.jpg")])
    a, b = read_dataset(root)
    assert (a.person_id, a.garment_id, a.paired) == ("00001_00", "00002_00", False)
    assert (b.person_id, b.garment_id, b.paired) == ("00002_00", "00002_00", True)


def test_vitonhd_splits(tmp_path, vitonhd):
    root = tmp_path / "VITON-HD"
    ids = ("00001_00", "00002_00")
    vitonhd(root / "train", persons=ids, garments=ids)
    vitonhd(root / "test", persons=ids, garments=ids)
    (root / "train_pairs.txt").write_text("00001_00.jpg 00001_00.jpg\n00002_00.jpg 00002_00.jpg\n")
    (root / "test_pairs.txt").write_text("00001_00.jpg 00002_00.jpg\n")
    assert detect_layout(root) == "viton-hd"
    with pytest.raises(DatasetError, match="has splits train, test; choose one with split="):
        read_dataset(root)
    with pytest.raises(DatasetError, match="no split 'val'"):
        read_dataset(root, split="val")
    train = read_dataset(root, split="train")
    assert len(train) == 2 and all(s.paired for s in train)
    assert train[0].person_path == root / "train" / "image" / "00001_00.jpg"
    assert train[0].subset == "VITON-HD/train"
    (test,) = read_dataset(root, split="test")
    assert not test.paired and test.person_path.parent.parent.name == "test"


def test_single_split_needs_no_argument(tmp_path, vitonhd):
    root = tmp_path / "hd"
    vitonhd(root / "test")
    assert len(read_dataset(root)) == 3


# --- collections and errors --------------------------------------------------------------
def test_collection(tmp_path, cpvton, vitonhd):
    root = tmp_path / "realdata_like"
    cpvton(root / "b_viton", ids=("000001", "000002"))
    cpvton(root / "a_dress", ids=("001", "002", "003", "004"), underscore=True, ext=".png")
    vitonhd(root / "c_hd")
    (root / "README.md").write_text("not a dataset")
    (root / "notes").mkdir()
    assert detect_layout(root) == Layout.COLLECTION
    samples = read_dataset(root)
    assert Counter(s.subset for s in samples) == {"a_dress": 4, "b_viton": 2, "c_hd": 3}
    assert [s.subset for s in samples][:5] == ["a_dress"] * 4 + ["b_viton"]
    with pytest.raises(DatasetError, match="pairs_file= applies to a single dataset"):
        read_dataset(root, pairs_file=root / "b_viton" / "pairs.txt")


def test_collection_member_error_surfaces(tmp_path, cpvton):
    root = tmp_path / "coll"
    cpvton(root / "one")
    cpvton(root / "two")
    (root / "two" / "cloth" / "000002_1.jpg").unlink()
    with pytest.raises(DatasetError, match=r"two.cloth.000002_1\.jpg does not exist"):
        read_dataset(root)


def test_unrecognised_folder(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(b"")
    with pytest.raises(DatasetError, match="not a try-on dataset.*Supported layouts: cp-vton.*VITON-HD"):
        detect_layout(tmp_path)
    with pytest.raises(DatasetError, match="Supported layouts"):
        read_dataset(tmp_path)


def test_missing_root_and_file_root(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        read_dataset(tmp_path / "nowhere")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(DatasetError, match="is a file"):
        detect_layout(tmp_path / "f.txt")


def test_half_dataset(tmp_path, cpvton):
    root = cpvton(tmp_path / "ds")
    for p in (root / "cloth").iterdir():
        p.unlink()
    (root / "cloth").rmdir()
    with pytest.raises(DatasetError, match="no cloth/ folder"):
        read_dataset(root)


def test_empty_image_folder_without_pairs(tmp_path, vitonhd):
    root = vitonhd(tmp_path / "hd", persons=())
    with pytest.raises(DatasetError, match="holds no images"):
        read_dataset(root)


# --- the real files ----------------------------------------------------------------------
@pytest.mark.realdata
def test_real_collection(realdata):
    assert detect_layout(realdata) == "collection"
    samples = read_dataset(realdata)
    assert Counter(s.subset for s in samples) == {"viton256_paired": 5, "dress256_paired": 20, "hd_unpaired": 8}
    for s in samples:
        assert s.garment_mask_path is not None and s.parse_path is not None and s.keypoints_path is not None
        if s.subset == "hd_unpaired":
            assert not s.paired and s.person_id != s.garment_id
        else:
            assert s.paired and s.person_id.removesuffix("_0") == s.garment_id.removesuffix("_1")


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("subset", "layout", "n", "fmt"),
    [
        ("viton256_paired", "cp-vton", 5, KeypointFormat.COCO18),
        ("dress256_paired", "cp-vton", 20, KeypointFormat.COCO18),
        ("hd_unpaired", "viton-hd", 8, KeypointFormat.BODY25),
    ],
)
def test_real_subsets(realdata, subset, layout, n, fmt):
    root = realdata / subset
    assert detect_layout(root) == layout
    samples = read_dataset(root)
    assert len(samples) == n
    assert {s.subset for s in samples} == {subset}
    for s in samples:
        assert s.load_keypoints()[1] is fmt
        parse = s.load_parse()
        assert 0 <= parse.min() and parse.max() <= 19


@pytest.mark.realdata
def test_real_unpaired_uses_every_person_and_garment(realdata):
    samples = read_dataset(realdata / "hd_unpaired")
    assert len({s.person_id for s in samples}) == 8
    assert len({s.garment_id for s in samples}) == 7  # 8 people, 7 garments: one reused
