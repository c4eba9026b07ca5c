"""TryOnDataset: shapes, dtypes, resizing, label-aware flips, affine consistency, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from fitroom.data import read_dataset
from fitroom.data.keypoints import write_openpose_json
from fitroom.data.torch_dataset import BODY25_FLIP, CIHP_FLIP, AugmentConfig, TryOnDataset
from fitroom.errors import DatasetError
from fitroom.labels import CIHP_PALETTE, Body25, Cihp, KeypointFormat

PH, PW = 128, 96  # stored photos; the dataset returns 64x48


def _person_parse() -> np.ndarray:
    p = np.zeros((PH, PW), np.uint8)
    p[30:90, 30:66] = Cihp.UPPER_CLOTHES
    p[30:80, 10:24] = Cihp.RIGHT_ARM  # person's right arm: image left, narrower than the left
    p[30:100, 72:92] = Cihp.LEFT_ARM
    p[90:120, 32:46] = Cihp.RIGHT_LEG
    p[90:120, 50:64] = Cihp.LEFT_LEG
    p[120:128, 32:46] = Cihp.RIGHT_SHOE
    p[120:128, 50:64] = Cihp.LEFT_SHOE
    return p


def _kp() -> np.ndarray:
    kp = np.zeros((25, 3), np.float32)
    kp[Body25.RIGHT_WRIST] = (16.5, 75.5, 0.9)  # inside the right arm
    kp[Body25.LEFT_WRIST] = (81.5, 95.5, 0.8)
    kp[Body25.NOSE] = (47.5, 15.5, 0.7)
    return kp


def _make(root, n=3, agnostic=True):
    for d in ("image", "cloth", "cloth-mask", "image-parse-v3", "openpose_json", "agnostic-v3.2"):
        (root / d).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        sid = f"{i:05d}_00"
        Image.fromarray(rng.integers(0, 256, (PH, PW, 3), dtype=np.uint8)).save(root / "image" / f"{sid}.png")
        Image.fromarray(rng.integers(0, 256, (PH, PW, 3), dtype=np.uint8)).save(root / "cloth" / f"{sid}.png")
        m = np.zeros((PH, PW), np.uint8)
        m[20:100, 20:70] = 255
        Image.fromarray(m).save(root / "cloth-mask" / f"{sid}.png")
        im = Image.fromarray(_person_parse(), mode="P")
        im.putpalette(CIHP_PALETTE.reshape(-1).tolist())
        im.save(root / "image-parse-v3" / f"{sid}.png")
        write_openpose_json(root / "openpose_json" / f"{sid}_keypoints.json", _kp(), KeypointFormat.BODY25)
        if agnostic:
            Image.fromarray(np.full((PH, PW, 3), 128, np.uint8)).save(root / "agnostic-v3.2" / f"{sid}.png")
    return read_dataset(root)


NO_COLOUR = dict(brightness=0.0, contrast=0.0, saturation=0.0, hue=0.0)


def test_shapes_and_dtypes(tmp_path):
    ds = TryOnDataset(_make(tmp_path / "hd"), size=(64, 48), augment=True, seed=0)
    assert len(ds) == 3
    it = ds[0]
    assert it["person"].shape == it["garment"].shape == it["agnostic"].shape == (3, 64, 48)
    assert it["person"].dtype == torch.float32 and -1 <= it["person"].min() and it["person"].max() <= 1
    assert it["garment_mask"].shape == (1, 64, 48) and set(it["garment_mask"].unique().tolist()) <= {0.0, 1.0}
    assert it["parse"].shape == (64, 48) and it["parse"].dtype == torch.int64
    assert it["keypoints"].shape == (25, 3) and it["keypoints"].dtype == torch.float32
    assert isinstance(it["person_id"], str) and it["subset"] == "hd"
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=3)))
    assert batch["person"].shape == (3, 3, 64, 48) and batch["person_id"] == ["00000_00", "00001_00", "00002_00"]


def test_resize_without_augment(tmp_path):
    ds = TryOnDataset(_make(tmp_path / "hd"), size=(64, 48))
    it = ds[0]
    np.testing.assert_array_equal(it["parse"].numpy(), _person_parse()[::2, ::2])
    kp = it["keypoints"].numpy()
    np.testing.assert_allclose(kp[Body25.RIGHT_WRIST], [(16.5 + 0.5) / 2 - 0.5, (75.5 + 0.5) / 2 - 0.5, 0.9], rtol=1e-6)
    assert (kp[Body25.LEFT_HIP] == 0).all()
    assert "agnostic_mask" not in it and not it["flipped"]


def test_agnostic_only_when_every_sample_has_it(tmp_path):
    samples = _make(tmp_path / "hd")
    samples[1].agnostic_path.unlink()
    samples = read_dataset(tmp_path / "hd")
    assert "agnostic" not in TryOnDataset(samples, size=(64, 48))[0]


def test_flip_swaps_left_and_right(tmp_path):
    samples = _make(tmp_path / "hd", n=1)
    plain = TryOnDataset(samples, size=(64, 48))[0]
    flipped = TryOnDataset(samples, size=(64, 48), augment=True,
                           augment_config=AugmentConfig(flip_p=1.0, scale=(1.0, 1.0), shift=0.0, **NO_COLOUR))[0]
    assert flipped["flipped"]
    p0, p1 = plain["parse"], flipped["parse"]
    # the flipped left arm lies where the original right arm was (mirrored), and vice versa
    assert torch.equal(p1.flip(-1) == Cihp.LEFT_ARM, p0 == Cihp.RIGHT_ARM)
    assert torch.equal(p1.flip(-1) == Cihp.RIGHT_ARM, p0 == Cihp.LEFT_ARM)
    assert torch.equal(p1.flip(-1) == Cihp.LEFT_SHOE, p0 == Cihp.RIGHT_SHOE)
    assert torch.equal(p1.flip(-1) == Cihp.LEFT_LEG, p0 == Cihp.RIGHT_LEG)
    assert torch.equal(p1.flip(-1) == Cihp.UPPER_CLOTHES, p0 == Cihp.UPPER_CLOTHES)
    # and the person's left arm still appears on the image right
    assert p1[:, 24:].eq(Cihp.LEFT_ARM).any() and not p1[:, :24].eq(Cihp.LEFT_ARM).any()
    torch.testing.assert_close(flipped["person"], plain["person"].flip(-1))
    torch.testing.assert_close(flipped["garment_mask"], plain["garment_mask"].flip(-1))
    k0, k1 = plain["keypoints"], flipped["keypoints"]
    w = 48
    for a, b in ((Body25.LEFT_WRIST, Body25.RIGHT_WRIST), (Body25.RIGHT_WRIST, Body25.LEFT_WRIST)):
        torch.testing.assert_close(k1[a], torch.tensor([w - 1 - k0[b, 0], k0[b, 1], k0[b, 2]]))
    torch.testing.assert_close(k1[Body25.NOSE, 1:], k0[Body25.NOSE, 1:])
    assert (k1[Body25.LEFT_HIP] == 0).all()  # missing stays missing


def test_flip_tables_are_involutions():
    assert (CIHP_FLIP[CIHP_FLIP] == np.arange(len(Cihp))).all()
    assert CIHP_FLIP[Cihp.LEFT_ARM] == Cihp.RIGHT_ARM and CIHP_FLIP[Cihp.FACE] == Cihp.FACE
    assert BODY25_FLIP[Body25.LEFT_BIG_TOE] == Body25.RIGHT_BIG_TOE
    assert BODY25_FLIP[Body25.NECK] == Body25.NECK and (BODY25_FLIP[BODY25_FLIP] == np.arange(25)).all()


def test_affine_moves_parse_and_keypoints_together(tmp_path):
    samples = _make(tmp_path / "hd", n=1)
    cfg = AugmentConfig(flip_p=0.0, scale=(1.1, 1.1), shift=0.05, **NO_COLOUR)
    ds = TryOnDataset(samples, size=(64, 48), augment=True, seed=5, augment_config=cfg)
    it, p = ds[0], ds.params(0)
    assert p.scale == pytest.approx(1.1) and (p.tx, p.ty) != (0, 0)
    plain = TryOnDataset(samples, size=(64, 48))[0]
    assert not torch.equal(it["parse"], plain["parse"])
    for k in (Body25.RIGHT_WRIST, Body25.LEFT_WRIST):
        x, y, c = it["keypoints"][k].tolist()
        assert c > 0
        want = Cihp.RIGHT_ARM if k == Body25.RIGHT_WRIST else Cihp.LEFT_ARM
        assert it["parse"][round(y), round(x)] == want


def test_colour_jitter_only_on_photos(tmp_path):
    samples = _make(tmp_path / "hd", n=1)
    cfg = AugmentConfig(flip_p=0.0, scale=(1.0, 1.0), shift=0.0, brightness=0.3, contrast=0.3, saturation=0.3, hue=0.05)
    it = TryOnDataset(samples, size=(64, 48), augment=True, seed=2, augment_config=cfg)[0]
    plain = TryOnDataset(samples, size=(64, 48))[0]
    assert not torch.allclose(it["person"], plain["person"]) and not torch.allclose(it["garment"], plain["garment"])
    assert torch.equal(it["parse"], plain["parse"]) and torch.equal(it["garment_mask"], plain["garment_mask"])
    torch.testing.assert_close(it["keypoints"], plain["keypoints"])


def _all(ds):
    return [ds[i] for i in range(len(ds))]


def test_deterministic_for_a_seed(tmp_path):
    samples = _make(tmp_path / "hd", n=4)
    a = _all(TryOnDataset(samples, size=(64, 48), augment=True, seed=7))
    b = _all(TryOnDataset(samples, size=(64, 48), augment=True, seed=7))
    c = _all(TryOnDataset(samples, size=(64, 48), augment=True, seed=8))
    for x, y in zip(a, b):
        for k in ("person", "garment", "parse", "keypoints"):
            assert torch.equal(x[k], y[k])
    assert any(not torch.equal(x["person"], y["person"]) for x, y in zip(a, c))
    # a reversed order (as a worker might see it) gives the same items
    ds = TryOnDataset(samples, size=(64, 48), augment=True, seed=7)
    assert torch.equal(ds[3]["person"], a[3]["person"]) and torch.equal(ds[0]["person"], a[0]["person"])
    ds.set_epoch(1)
    assert any(not torch.equal(ds[i]["person"], a[i]["person"]) for i in range(4))


def test_same_batches_with_workers(tmp_path):
    ds = TryOnDataset(_make(tmp_path / "hd", n=4), size=(64, 48), augment=True, seed=3)
    b0 = list(torch.utils.data.DataLoader(ds, batch_size=2, num_workers=0))
    b2 = list(torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2))
    for x, y in zip(b0, b2):
        assert torch.equal(x["person"], y["person"]) and torch.equal(x["keypoints"], y["keypoints"])


def test_missing_without_compute_is_error(tmp_path):
    samples = _make(tmp_path / "hd", n=1)
    for p in (tmp_path / "hd" / "cloth-mask").iterdir():
        p.unlink()
    samples = read_dataset(tmp_path / "hd")
    with pytest.raises(DatasetError, match="has no garment mask; use compute_missing=True"):
        TryOnDataset(samples, size=(64, 48), compute_missing=False)[0]


def test_bad_size():
    with pytest.raises(ValueError, match="height, width"):
        TryOnDataset([], size=(256,))
