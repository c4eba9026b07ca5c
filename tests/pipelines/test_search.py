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


def test_block_weights_and_old_index(catalog, tmp_path):
    from fitroom.pipelines.search import DEFAULT_BLOCK_WEIGHTS, GarmentIndexError, parse_block_weights

    assert parse_block_weights(None) == DEFAULT_BLOCK_WEIGHTS
    assert parse_block_weights("shape=1,color=0.25") == {"shape": 1.0, "print": 0.0, "colour": 0.25}
    for bad, msg in (("size=1", "unknown embedding block"), ("shape", "NAME=NUMBER"), ("shape=-1", ">= 0"),
                     ("shape=0", "positive")):
        with pytest.raises(FitroomError, match=msg):
            parse_block_weights(bad)
    index = embed_catalog(catalog)
    assert index.version == 2
    back = load_index(index.save(tmp_path / "v2"))
    assert np.allclose(back.appearance, index.appearance) and np.allclose(back.vectors, index.vectors)
    query = load_image(catalog / "tee_1.png")
    assert [h.path for h in similar(query, back, k=3, blocks="shape=1,print=1")] == \
        [h.path for h in similar(query, index, k=3, blocks="shape=1,print=1")]
    # an index written before the appearance blocks (version 1): shape-only search still works,
    # asking for print or colour is a clear error
    z = dict(np.load(tmp_path / "v2.npz"))
    for key in ("version", "appearance", "app_mean", "app_std"):
        z.pop(key)
    np.savez(tmp_path / "v1.npz", **z)
    old = load_index(tmp_path / "v1.npz")
    assert old.version == 1 and old.appearance is None
    hits = similar(query, old, k=3)  # default for a version-1 index: the VAE alone, as before
    assert [h.path for h in hits] == [h.path for h in similar(query, index, k=3, blocks="shape=1")]
    with pytest.raises(GarmentIndexError, match="rebuild it"):
        similar(query, old, k=3, blocks="shape=1,print=1")
    z["version"] = np.array(99)
    np.savez(tmp_path / "v99.npz", **z)
    with pytest.raises(GarmentIndexError, match="newer"):
        load_index(tmp_path / "v99.npz")
