"""Catalog search with the shipped garment VAE."""

from __future__ import annotations

import numpy as np
import pytest

from fitroom.data.render_garment import render_garment
from fitroom.errors import FitroomError, GarmentError
from fitroom.examples import example_person
from fitroom.imaging import load_image, save_image
from fitroom.pipelines.search import embed_catalog, load_index, similar, similar_sheet


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalog")
    for i in range(4):
        save_image(root / f"dress_{i}.png", render_garment("dress", size=(192, 256), seed=100 + i).image)
        save_image(root / f"tee_{i}.png", render_garment("short-sleeve top", size=(192, 256), seed=200 + i).image)
    save_image(root / "person.jpg", load_image(example_person()))  # not a garment: skipped
    (root / "notes.png").write_text("not an image")  # not an image: skipped
    return root


def test_embed_similar_round_trip(catalog, tmp_path):
    index = embed_catalog(catalog)
    assert len(index.paths) == 8 and len(index.skipped) == 2
    path = index.save(tmp_path / "idx")
    assert path.suffix == ".npz"
    back = load_index(path)
    assert back.paths == index.paths and np.allclose(back.mu, index.mu)
    query = render_garment("dress", size=(192, 256), seed=999).image
    hits = similar(query, back, k=3)
    assert [h.rank for h in hits] == [1, 2, 3]
    assert all(a.distance <= b.distance for a, b in zip(hits, hits[1:]))
    # "more like this" of a catalog photo: itself is left out, the nearest are the same type
    own = similar(load_image(catalog / "dress_0.png"), back, k=3)
    assert all("dress_0" not in h.path for h in own)
    assert sum(h.category == "dress" for h in own) >= 2
    sheet = similar_sheet(query, hits)
    assert sheet.ndim == 3 and sheet.shape[1] > sheet.shape[0]


def test_errors(catalog, tmp_path):
    with pytest.raises(FitroomError, match="not a folder"):
        embed_catalog(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FitroomError, match="no PNG"):
        embed_catalog(tmp_path / "empty")
    with pytest.raises(FitroomError, match="does not exist"):
        load_index(tmp_path / "nope.npz")
    (tmp_path / "bad.npz").write_bytes(b"garbage")
    with pytest.raises(FitroomError, match="not a garment index"):
        load_index(tmp_path / "bad.npz")
    index = embed_catalog(catalog)
    with pytest.raises(GarmentError):
        similar(load_image(example_person()), index)
