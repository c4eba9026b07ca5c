"""Procedural tileable textures and texture sets."""

from __future__ import annotations

import numpy as np
import pytest

from fitroom.data.textures import TEXTURE_FAMILIES, read_texture_set, render_texture, write_texture_set
from fitroom.errors import DatasetError


@pytest.mark.parametrize("family", TEXTURE_FAMILIES)
def test_every_family_tiles_without_a_seam(family):
    t = render_texture(family, size=64, seed=11).astype(np.float32)
    assert t.shape == (64, 64, 3)
    # the step across the wrap-around (last column -> first) is like the steps between
    # neighbouring columns inside: no larger than the largest of them
    cols = np.abs(np.diff(t, axis=1)).mean(axis=(0, 2))
    rows = np.abs(np.diff(t, axis=0)).mean(axis=(1, 2))
    assert np.abs(t[:, 0] - t[:, -1]).mean() <= cols.max() + 1
    assert np.abs(t[0] - t[-1]).mean() <= rows.max() + 1
    assert t.std() > 3  # a pattern, not a flat colour


def test_deterministic_and_errors():
    assert np.array_equal(render_texture("dots", seed=1), render_texture("dots", seed=1))
    assert not np.array_equal(render_texture("dots", seed=1), render_texture("dots", seed=2))
    with pytest.raises(ValueError, match="unknown texture family"):
        render_texture("paisley", seed=0)


def test_write_and_read(tmp_path):
    s = write_texture_set(tmp_path / "t", 20, size=16, seed=0)
    assert s["train"] == 18 and (tmp_path / "t" / "preview.png").is_file()
    arr, fams = read_texture_set(tmp_path / "t", "train")
    assert arr.shape == (18, 16, 16, 3) and arr.dtype == np.uint8 and set(fams) <= set(TEXTURE_FAMILIES)
    with pytest.raises(DatasetError, match="not a texture set"):
        read_texture_set(tmp_path)
