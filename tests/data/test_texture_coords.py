"""Texture coordinates: the PNG codec, and the exact garment flow the dataset derives from them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fitroom.data import read_dataset
from fitroom.data.synth.writer import synthesize
from fitroom.data.texture_coords import decode_texture_coords, encode_texture_coords, texture_coords_to_flow
from fitroom.data.torch_dataset import AugmentConfig, TryOnDataset
from fitroom.errors import DatasetError
from fitroom.models.warp_flow import warp


def test_codec_round_trip_to_a_64th_of_a_pixel():
    rng = np.random.default_rng(0)
    c = rng.uniform(-50, 900, (40, 30, 2)).astype(np.float32)
    c[rng.random((40, 30)) < 0.3] = np.nan
    d = decode_texture_coords(encode_texture_coords(c))
    assert np.array_equal(np.isnan(d), np.isnan(c))
    ok = ~np.isnan(c)
    assert np.abs(d[ok] - c[ok]).max() <= 1 / 64 + 1e-6
    with pytest.raises(DatasetError, match="16-bit"):
        decode_texture_coords(b"not a png")


def test_flow_of_coordinates_at_pixel_centres_is_the_identity():
    h, w = 8, 6
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    flow, valid = texture_coords_to_flow(np.stack([xx, yy], -1), (h, w))
    assert valid.all() and np.abs(flow).max() < 1e-6
    # a garment twice the size: the same normalised position
    flow2, _ = texture_coords_to_flow(np.stack([2 * xx + 0.5, 2 * yy + 0.5], -1), (2 * h, 2 * w))
    assert np.abs(flow2).max() < 1e-6


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("texsyn")
    synthesize(root, 12, (128, 96), seed=5, workers=1)
    return root


def _errors(item) -> tuple[float, float, float]:
    """(mask coverage of the valid pixels, colour error with the flow, the least colour
    error with the flow shifted by 2 pixels in any of four directions)."""
    valid = item["garment_flow_valid"][0] > 0
    flow = item["garment_flow"][None]
    g, m, person = item["garment"][None], item["garment_mask"][None], item["person"]
    h, w = flow.shape[-2:]
    cover = (warp(m, flow, padding_mode="zeros")[0, 0][valid] > 0.5).float().mean().item()
    err = (warp(g, flow)[0] - person).abs().mean(0)[valid].mean().item()
    err_shift = min((warp(g, flow + torch.tensor([dx, dy]).view(1, 2, 1, 1))[0] - person).abs().mean(0)[valid].mean().item()
                    for dx, dy in ((4 / w, 0), (-4 / w, 0), (0, 4 / h), (0, -4 / h)))
    return cover, err, err_shift


@pytest.mark.parametrize("augment", [False, True])
def test_dataset_flow_brings_the_product_photo_onto_the_body(data, augment):
    samples = read_dataset(data, split="train")
    assert all(s.texture_coords_path is not None for s in samples)
    cfg = AugmentConfig(flip_p=0.5, scale=(0.85, 1.15), shift=0.06, brightness=0.0, contrast=0.0, saturation=0.0, hue=0.0)
    ds = TryOnDataset(samples, (128, 96), augment=augment, augment_config=cfg)
    covers, errs, shifted, flips, scaled = [], [], [], 0, 0
    for i in range(len(ds)):
        item = ds[i]
        assert item["garment_flow"].shape == (2, 128, 96) and item["garment_flow_valid"].shape == (1, 128, 96)
        if item["garment_flow_valid"].sum() < 50:
            continue
        c, e, es = _errors(item)
        covers.append(c), errs.append(e), shifted.append(es)
        p = ds.params(i)
        flips += p.flip
        scaled += abs(p.scale - 1) > 0.03
    assert len(errs) >= 6
    if augment:
        assert flips >= 1 and scaled >= 1
    assert np.mean(covers) > 0.97
    # shading and JPEG remain, but the exact flow beats any 2-pixel shift of it (on plain
    # fabric a shift may cost nothing, hence "most samples")
    wins = np.array(errs) < np.array(shifted)
    assert wins.mean() >= 0.8 and np.mean(errs) < 0.85 * np.mean(shifted), list(zip(errs, shifted))


def test_other_datasets_have_no_flow(data, tmp_path):
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(data, root)
    shutil.rmtree(root / "train" / "texture-coords")
    samples = read_dataset(root, split="train")
    assert all(s.texture_coords_path is None for s in samples)
    assert "garment_flow" not in TryOnDataset(samples[:1], (128, 96))[0]
    with pytest.raises(DatasetError, match="no texture coordinates"):
        samples[0].load_texture_coords()


_NO_COLOUR = dict(brightness=0.0, contrast=0.0, saturation=0.0, hue=0.0)
_AUGMENTS = {
    "none": None,
    "flip": AugmentConfig(flip_p=1.0, scale=(1.0, 1.0), shift=0.0, **_NO_COLOUR),
    "affine": AugmentConfig(flip_p=0.0, scale=(0.8, 1.2), shift=0.08, **_NO_COLOUR),
    "flip+affine": AugmentConfig(flip_p=1.0, scale=(0.8, 1.2), shift=0.08, **_NO_COLOUR),
}


@pytest.mark.parametrize(("augment", "size"), [("none", (128, 96)), ("flip", (96, 72)), ("affine", (96, 72)),
                                               ("flip+affine", (64, 48))])
def test_dataset_flow_is_exact_to_a_fraction_of_a_pixel(data, augment, size):
    """Every sample flipped and/or zoomed and shifted, at the photo's size or resized to a
    smaller network size: warping the garment tensor with ``garment_flow`` reproduces the
    worn garment far better than no flow, and better than the same flow moved by half a
    pixel in any direction (what remains is the renderer's shading and JPEG)."""
    cfg = _AUGMENTS[augment]
    ds = TryOnDataset(read_dataset(data, split="train"), size, augment=cfg is not None,
                      augment_config=cfg or AugmentConfig())
    h, w = size
    half = [torch.tensor([dx / w, dy / h]).view(1, 2, 1, 1) for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))]
    err, zero, shifted, n = 0.0, 0.0, np.zeros(len(half)), 0
    for i in range(len(ds)):
        p = ds.params(i)
        if cfg is not None:
            assert p.flip == (cfg.flip_p == 1.0) and (cfg.shift == 0.0 or abs(p.scale - 1) + abs(p.tx) + abs(p.ty) > 0.01)
        item = ds[i]
        valid = item["garment_flow_valid"][0] > 0
        if valid.sum() < 30:
            continue
        g, flow, person = item["garment"][None], item["garment_flow"][None], item["person"]

        def e(f: torch.Tensor) -> float:
            return (warp(g, f)[0] - person).abs().mean(0)[valid].mean().item()

        err, zero, n = err + e(flow), zero + e(torch.zeros_like(flow)), n + 1
        shifted += [e(flow + d) for d in half]
    assert n >= 6
    assert err < 0.5 * zero, (err / n, zero / n)
    assert err < shifted.min(), (err / n, shifted / n)
