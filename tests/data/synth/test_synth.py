"""Tests of the synthetic try-on dataset generator (fitroom.data.synth)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from fitroom.data.keypoints import read_openpose_json
from fitroom.data.layouts import read_dataset
from fitroom.data.synth.params import UPPER_CATEGORIES, sample_params, sample_rng
from fitroom.data.synth.preview import contact_sheet
from fitroom.data.synth.render import render_sample
from fitroom.data.synth.stats import dataset_stats, format_stats
from fitroom.data.synth.writer import FOLDERS, agnostic_of, parse_size, synthesize
from fitroom.labels import Cihp

SIZE = (256, 192)


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "synth.json"}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "ds"
    synthesize(out, 12, "256x192", seed=3, workers=2)
    return out


def test_layout_and_pairs(dataset: Path) -> None:
    for split in ("train", "test"):
        for f in FOLDERS:
            assert (dataset / split / f).is_dir()
    test_ids = [m["id"] for m in map(json.loads, (dataset / "meta.jsonl").read_text().splitlines()) if m["split"] == "test"]
    assert test_ids == ["00009_00"] or len(test_ids) >= 1
    assert (dataset / "test_pairs_unpaired.txt").read_text().strip()
    assert len((dataset / "train_pairs.txt").read_text().splitlines()) + len(test_ids) == 12


def test_deterministic_across_workers(dataset: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    synthesize(again, 12, (256, 192), seed=3, workers=1)
    assert _digest(again) == _digest(dataset)
    other = tmp_path / "other"
    synthesize(other, 12, (256, 192), seed=4, workers=1)
    assert _digest(other) != _digest(dataset)


def test_round_trip(dataset: Path) -> None:
    samples = read_dataset(dataset, split="test")
    assert samples and all(s.paired for s in samples)
    for s in samples:
        idx = int(s.person_id.split("_")[0])
        r = render_sample(sample_params(sample_rng(3, idx)), SIZE)
        kp, fmt = read_openpose_json(s.keypoints_path)
        assert fmt == "body25"
        np.testing.assert_allclose(kp, r.keypoints, atol=1e-4)
        parse = np.asarray(Image.open(s.parse_path))
        np.testing.assert_array_equal(parse, r.parse)
        mask = cv2.imread(str(s.garment_mask_path), cv2.IMREAD_GRAYSCALE) > 127
        np.testing.assert_array_equal(mask, r.garment_mask)
        person = np.asarray(Image.open(s.person_path).convert("RGB")).astype(int)
        assert person.shape == (256, 192, 3)
        assert np.abs(person - r.image).mean() < 3  # JPEG q95
        # the texture coordinates come back exactly, to the codec's 1/32-pixel steps
        tc = s.load_texture_coords()
        assert tc.shape == r.texture_coords.shape and tc.dtype == np.float32
        np.testing.assert_array_equal(np.isnan(tc), np.isnan(r.texture_coords))
        assert np.nanmax(np.abs(tc - r.texture_coords)) <= 1 / 64 + 1e-6


def test_texture_coords_only_for_paired_samples(dataset: Path, tmp_path: Path) -> None:
    for split in ("train", "test"):
        ids = sorted(p.stem for p in (dataset / split / "image").iterdir())
        assert sorted(p.stem for p in (dataset / split / "texture-coords").iterdir()) == ids
    # a person with another person's garment: the coordinates do not describe that pair
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("00000_00.jpg 00001_00.jpg\n00001_00.jpg 00001_00.jpg\n")
    other, same = read_dataset(dataset / "train", pairs_file=pairs)
    assert not other.paired and other.texture_coords_path is None
    assert same.paired and same.texture_coords_path == dataset / "train" / "texture-coords" / "00001_00.png"


@pytest.mark.parametrize("index", range(6))
def test_exactness(index: int) -> None:
    r = render_sample(sample_params(sample_rng(11, index)), SIZE)
    garment = np.isin(r.parse, (Cihp.UPPER_CLOTHES, Cihp.DRESS))
    assert garment.sum() > 500
    # the parse's garment region is where the garment was drawn, less what lies in front of it
    assert not (garment & ~r.worn_mask).any()
    hidden = r.worn_mask & ~garment
    assert np.isin(r.parse[hidden], (Cihp.HAIR, Cihp.FACE, Cihp.LEFT_ARM, Cihp.RIGHT_ARM)).all()
    # every garment pixel has a texture coordinate inside the product mask
    uv = r.texture_coords[garment]
    assert np.isfinite(uv).all()
    xi = np.clip(np.round(uv[:, 0]).astype(int), 0, SIZE[1] - 1)
    yi = np.clip(np.round(uv[:, 1]).astype(int), 0, SIZE[0] - 1)
    grown = cv2.dilate(r.garment_mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert grown[yi, xi].mean() > 0.99
    # the agnostic region covers the garment
    _, region = agnostic_of(r)
    assert region[garment].all()


def test_variety() -> None:
    metas = [sample_params(sample_rng(5, i)) for i in range(60)]
    assert len({m.skin_tone for m in metas}) >= 10
    assert {m.garment.category for m in metas} == set(UPPER_CATEGORIES)
    assert len({m.pose.label for m in metas}) >= 3
    assert len({m.body.shape for m in metas}) == 4
    assert len({m.garment.pattern for m in metas}) >= 5


def test_stats_and_preview(dataset: Path) -> None:
    st = dataset_stats(dataset)
    assert st["count"] == 12
    assert sum(st["distributions"]["skin_tone"].values()) == 12
    assert "skin_tone" in format_stats(st)
    sheet = contact_sheet(dataset, rows=1, cols=1)
    assert sheet.ndim == 3 and sheet.shape[1] >= 4 * 192


def test_parse_size() -> None:
    assert parse_size("256x192") == (256, 192)
    with pytest.raises(ValueError):
        parse_size("256")
    with pytest.raises(ValueError):
        synthesize("/nonexistent-never", 0)
