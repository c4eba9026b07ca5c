"""Labelled garment sets: framing, writing, reading, determinism, errors."""

from __future__ import annotations

import numpy as np
import pytest

from fitroom.data.garment_set import GARMENT_TYPES, prepare_garment, read_garment_set, write_garment_set
from fitroom.data.render_garment import PATTERNS
from fitroom.errors import DatasetError


def test_prepare_garment_centres_the_mask_on_white():
    img = np.zeros((100, 60, 3), np.uint8)
    img[:] = (10, 200, 30)
    mask = np.zeros((100, 60), bool)
    mask[20:60, 10:30] = True  # 40 tall, 20 wide
    before = img.copy()
    rgb, m = prepare_garment(img, mask, size=32, margin=0.0)
    assert rgb.shape == (32, 32, 3) and m.shape == (32, 32)
    # 40 px -> 32 px: the garment fills the height and half the width, centred
    assert m[:, 16].min() == 255 and m[16, :8].max() == 0 and m[16, 8:24].min() == 255
    assert tuple(rgb[16, 2]) == (255, 255, 255) and tuple(rgb[16, 16]) == (10, 200, 30)
    assert np.array_equal(img, before)  # input untouched
    with pytest.raises(ValueError, match="empty"):
        prepare_garment(img, np.zeros((100, 60), bool))


def test_write_read_is_deterministic_and_labelled(tmp_path):
    s = write_garment_set(tmp_path / "a", 10, size=32, seed=3)
    write_garment_set(tmp_path / "b", 10, size=32, seed=3)
    assert s["train"] + s["test"] == 10 and s["test"] == 1
    gs = read_garment_set(tmp_path / "a")
    items = gs.items("train") + gs.items("test")
    assert len(items) == 10 and gs.size == 32
    assert {it.category for it in items} <= {str(c) for c in GARMENT_TYPES}
    assert {it.pattern for it in items} <= set(PATTERNS)
    for it in items:
        assert (tmp_path / "b" / it.image.relative_to(tmp_path / "a")).read_bytes() == it.image.read_bytes()
    with pytest.raises(DatasetError, match="already holds"):
        write_garment_set(tmp_path / "a", 10, size=32)
    with pytest.raises(DatasetError, match="no split 'val'"):
        gs.items("val")


def test_read_errors(tmp_path):
    with pytest.raises(DatasetError, match="not a garment set"):
        read_garment_set(tmp_path)
    with pytest.raises(DatasetError, match="at least 2"):
        write_garment_set(tmp_path / "x", 1)
