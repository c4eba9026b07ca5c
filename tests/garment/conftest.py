"""Shared fixtures for the garment tests: rendered garments and the real photos."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from fitroom.data.render_garment import render_garment
from fitroom.labels import GarmentCategory


def realdata_dir() -> Path:
    """``../shared/realdata`` next to the repository, or ``$FITROOM_REALDATA``."""
    env = os.environ.get("FITROOM_REALDATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "realdata"


#: (subset, cloth folder, mask folder)
REAL_SUBSETS = (
    ("viton256_paired", "cloth", "cloth-mask"),
    ("dress256_paired", "cloth", "cloth_mask"),
    ("hd_unpaired", "cloth", "cloth-mask"),
)


@pytest.fixture(scope="session")
def realdata() -> Path:
    root = realdata_dir()
    if not (root / "viton256_paired").is_dir():
        pytest.skip(f"real test photos not found at {root} (set FITROOM_REALDATA to their folder)")
    return root


def load_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None, f"cannot read {path}"
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def load_mask(path: Path) -> np.ndarray:
    m = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    assert m is not None, f"cannot read {path}"
    return m > 127


def _real_items(root: Path, subset: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    _, cloth, mask = next(s for s in REAL_SUBSETS if s[0] == subset)
    out = []
    for f in sorted((root / subset / cloth).iterdir()):
        gt = root / subset / mask / f.name
        if gt.exists():
            out.append((f.stem, load_rgb(f), load_mask(gt)))
    return out


@pytest.fixture(scope="session")
def real_items(realdata):
    """Factory: subset name -> list of (name, RGB photo, ground-truth cloth mask)."""
    cache: dict = {}

    def get(subset: str):
        if subset not in cache:
            cache[subset] = _real_items(realdata, subset)
        return cache[subset]

    return get


@pytest.fixture(scope="session")
def real_masks(real_items):
    """Factory: subset name -> {name: garment_mask(photo)} (computed once per session)."""
    from fitroom.garment import garment_mask

    cache: dict = {}

    def get(subset: str):
        if subset not in cache:
            cache[subset] = {name: garment_mask(img) for name, img, _ in real_items(subset)}
        return cache[subset]

    return get


@pytest.fixture(scope="session")
def render_cache():
    """Memoised renders: (category, seed, size, colour, pattern) -> RenderedGarment."""
    cache: dict = {}

    def get(category, seed, size=(768, 1024), colour=None, pattern=None):
        key = (GarmentCategory(category), seed, tuple(size), None if colour is None else tuple(colour), pattern)
        if key not in cache:
            cache[key] = render_garment(key[0], seed=seed, size=key[2], colour=colour, pattern=pattern)
        return cache[key]

    return get
