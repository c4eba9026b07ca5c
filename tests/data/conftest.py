"""Builders of tiny datasets in the supported layouts, for the tests of fitroom.data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fitroom.data.keypoints import write_openpose_json
from fitroom.labels import CIHP_PALETTE, Cihp, KeypointFormat

H, W = 16, 12


def _rgb(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (H, W, 3), dtype=np.uint8)).save(path)


def _mask(path: Path, rgb: bool = False) -> None:
    m = np.zeros((H, W), np.uint8)
    m[4:12, 3:9] = 255
    Image.fromarray(np.stack([m] * 3, -1) if rgb else m).save(path)


def parse_ids() -> np.ndarray:
    p = np.full((H, W), Cihp.BACKGROUND, np.uint8)
    p[1:4, 4:8] = Cihp.FACE
    p[4:10, 3:9] = Cihp.UPPER_CLOTHES
    p[10:15, 3:9] = Cihp.PANTS
    return p


def _parse(path: Path) -> None:
    im = Image.fromarray(parse_ids(), mode="P")
    im.putpalette(CIHP_PALETTE.reshape(-1).tolist())
    im.save(path)


def _pose(path: Path, fmt: KeypointFormat) -> None:
    n = 18 if fmt == KeypointFormat.COCO18 else 25
    kp = np.column_stack([np.linspace(1, W - 1, n), np.linspace(1, H - 1, n), np.full(n, 0.9)])
    write_openpose_json(path, kp.astype(np.float32), fmt)


def make_cpvton(
    root: Path,
    ids: Sequence[str] = ("000001", "000002", "000003"),
    *,
    underscore: bool = False,
    ext: str = ".jpg",
    pairs: bool | Sequence[tuple[str, str]] = True,
    mask: bool = True,
    parse: bool = True,
    pose: bool = True,
) -> Path:
    """A cp-vton folder: person ``<id>_0``, garment ``<id>_1``; ``underscore`` for the
    cloth_mask / image_parse spelling. ``pairs`` True writes the paired pairs.txt."""
    d = {n: root / n for n in ("image", "cloth")}
    d["mask"] = root / ("cloth_mask" if underscore else "cloth-mask")
    d["parse"] = root / ("image_parse" if underscore else "image-parse")
    d["pose"] = root / "pose"
    for key, p in d.items():
        if (key == "mask" and not mask) or (key == "parse" and not parse) or (key == "pose" and not pose):
            continue
        p.mkdir(parents=True)
    for i, sid in enumerate(ids):
        _rgb(d["image"] / f"{sid}_0{ext}", i)
        _rgb(d["cloth"] / f"{sid}_1{ext}", 100 + i)
        if mask:
            _mask(d["mask"] / f"{sid}_1{ext}", rgb=underscore)
        if parse:
            _parse(d["parse"] / f"{sid}_0.png")
        if pose:
            _pose(d["pose"] / f"{sid}_0_keypoints.json", KeypointFormat.COCO18)
    if pairs is True:
        pairs = [(f"{sid}_0{ext}", f"{sid}_1{ext}") for sid in ids]
    if pairs:
        (root / "pairs.txt").write_text("".join(f"{a} {b}\n" for a, b in pairs))
    return root


def make_vitonhd(
    root: Path,
    persons: Sequence[str] = ("00003_00", "00001_00", "00002_00"),
    garments: Sequence[str] = ("00011_00", "00010_00"),
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
    pairs_name: str = "test_pairs.txt",
    parse_dir: str = "image-parse-v3",
    pose_dir: str = "openpose_json",
) -> Path:
    """A VITON-HD folder (BODY_25 poses); persons and garments are listed unsorted on
    purpose. ``pairs`` (file names) are written to ``pairs_name`` when given."""
    for n in ("image", "cloth", "cloth-mask", parse_dir, pose_dir):
        (root / n).mkdir(parents=True)
    for i, sid in enumerate(persons):
        _rgb(root / "image" / f"{sid}.jpg", i)
        _parse(root / parse_dir / f"{sid}.png")
        _pose(root / pose_dir / f"{sid}_keypoints.json", KeypointFormat.BODY25)
    for i, sid in enumerate(garments):
        _rgb(root / "cloth" / f"{sid}.jpg", 100 + i)
        _mask(root / "cloth-mask" / f"{sid}.jpg")
    if pairs is not None:
        (root / pairs_name).write_text("".join(f"{a} {b}\n" for a, b in pairs))
    return root


@pytest.fixture
def cpvton() -> Callable[..., Path]:
    return make_cpvton


@pytest.fixture
def vitonhd() -> Callable[..., Path]:
    return make_vitonhd
