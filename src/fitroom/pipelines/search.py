"""Catalog search with the garment VAE: embeddings of product photos and "more like this".

>>> from fitroom.pipelines.search import embed_catalog, similar
>>> index = embed_catalog("shop/garments")          # doctest: +SKIP
>>> index.save("shop.npz")                           # doctest: +SKIP
>>> hits = similar(load_image("tee.png"), index, k=8)  # doctest: +SKIP

A garment's embedding is the VAE's posterior mean ``mu`` of the photo (framed as in
training), standardised by the catalog's per-dimension mean and standard deviation, and L2
normalised; neighbours are ranked by cosine similarity (``1 - cos`` is reported as the
distance). Photos that fitroom's garment analysis rejects (not a garment, trousers, two
garments) are skipped and listed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fitroom.errors import FitroomError, ImageError

from .garment_models import default_weights, encode_garments, load_vae, prepare_photo

__all__ = ["GarmentIndex", "GarmentIndexError", "Neighbour", "embed_catalog", "embed_images", "load_index", "similar", "similar_sheet"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


class GarmentIndexError(FitroomError):
    """An index file is missing, unreadable, or was built with other VAE weights."""

    code = "invalid_index"


def _weights_id(weights: str | Path | None) -> str:
    path = Path(weights) if weights is not None else default_weights("garment-vae")
    f = path / "model.safetensors"
    return hashlib.sha256(f.read_bytes()).hexdigest()[:16] if f.is_file() else "unknown"


def standardise(mu: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """``(mu - mean) / std``, rows L2-normalised: the vectors compared by cosine similarity."""
    e = (np.asarray(mu, np.float64) - mean) / std
    return e / np.maximum(np.linalg.norm(e, axis=-1, keepdims=True), 1e-12)


@dataclass
class GarmentIndex:
    """Embeddings of a catalog.

    Attributes:
        paths: the photos, as given (strings).
        mu: ``[N, latent_dim]`` posterior means.
        categories: the garment type fitroom's analysis sees in each photo.
        mean, std: per-dimension statistics of ``mu`` used to standardise queries too.
        weights_id: first 16 hex digits of the VAE weights' SHA-256 (a query must use the same).
        skipped: ``(path, reason)`` of photos left out.
    """

    paths: list[str]
    mu: np.ndarray
    categories: list[str]
    mean: np.ndarray
    std: np.ndarray
    weights_id: str
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def vectors(self) -> np.ndarray:
        return standardise(self.mu, self.mean, self.std)

    def save(self, path: str | Path) -> Path:
        """Write ``path`` (``.npz`` is appended when missing)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, paths=np.array(self.paths), mu=self.mu.astype(np.float32), categories=np.array(self.categories),
                 mean=self.mean, std=self.std, weights_id=np.array(self.weights_id),
                 skipped=np.array(json.dumps(self.skipped)), kind=np.array("fitroom-garment-index"))
        return path


def load_index(path: str | Path) -> GarmentIndex:
    """Read an index written by :meth:`GarmentIndex.save`; a clear error for anything else."""
    path = Path(path)
    if not path.is_file():
        raise GarmentIndexError(f"index file {path} does not exist; build one with 'fitroom garments embed DIR -o {path}'.")
    try:
        z = np.load(path, allow_pickle=False)
        if str(z["kind"]) != "fitroom-garment-index":
            raise KeyError("kind")
        return GarmentIndex(paths=[str(p) for p in z["paths"]], mu=z["mu"], categories=[str(c) for c in z["categories"]],
                            mean=z["mean"], std=z["std"], weights_id=str(z["weights_id"]),
                            skipped=[tuple(s) for s in json.loads(str(z["skipped"]))])
    except (OSError, ValueError, KeyError) as e:
        raise GarmentIndexError(f"{path} is not a garment index written by 'fitroom garments embed' ({e}).") from None


def embed_images(images: list[np.ndarray], vae=None, *, weights=None) -> np.ndarray:
    """Posterior means ``[N, latent_dim]`` of garment photos (each analysed and framed; a photo
    that is not a garment raises fitroom's garment error)."""
    vae = vae if vae is not None else load_vae(weights)
    size = vae.config.image_size
    prepared = [prepare_photo(im, size) for im in images]
    return np.stack([c.mu for c in encode_garments(vae, prepared)])


def embed_catalog(folder: str | Path, *, weights: str | Path | None = None, vae=None,
                  progress: bool = False) -> GarmentIndex:
    """Embed every garment photo under ``folder`` (recursively; PNG, JPEG, WebP).

    Files that are not readable images or not garments are skipped and listed in
    ``skipped``; a folder with no usable garment raises :class:`~fitroom.errors.FitroomError`.
    """
    from fitroom.errors import GarmentError
    from fitroom.imaging import load_image

    folder = Path(folder)
    if not folder.is_dir():
        raise FitroomError(f"{folder} is not a folder of garment photos.")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise FitroomError(f"{folder} holds no PNG, JPEG or WebP files.")
    vae = vae if vae is not None else load_vae(weights)
    size = vae.config.image_size
    prepared, kept, skipped = [], [], []
    it = files
    if progress:
        from rich.progress import track

        it = track(files, description="analysing garments")
    for p in it:
        try:
            prepared.append(prepare_photo(load_image(p), size))
            kept.append(p)
        except (GarmentError, ImageError) as e:
            skipped.append((str(p), str(e)))
    if not prepared:
        raise FitroomError(f"none of the {len(files)} images in {folder} is a garment photo fitroom can read "
                           f"(first problem: {skipped[0][1]})")
    codes = encode_garments(vae, prepared)
    mu = np.stack([c.mu for c in codes]).astype(np.float32)
    mean = mu.mean(0).astype(np.float64)
    std = (mu.std(0) + 1e-3).astype(np.float64) if len(mu) > 1 else np.ones(mu.shape[1])
    return GarmentIndex(paths=[str(p) for p in kept], mu=mu, categories=[str(p.analysis.category) for p in prepared],
                        mean=mean, std=std, weights_id=_weights_id(weights), skipped=skipped)


@dataclass(frozen=True)
class Neighbour:
    """One hit of :func:`similar`: the catalog photo, its rank (1 = closest), the cosine
    distance ``1 - cos`` and the garment type of the catalog photo."""

    path: str
    rank: int
    distance: float
    category: str


def similar(image: np.ndarray, index: GarmentIndex, k: int = 8, *, weights: str | Path | None = None,
            vae=None, exclude_self: bool = True) -> list[Neighbour]:
    """The ``k`` catalog garments closest to the garment in ``image``.

    ``exclude_self`` drops a catalog entry at distance ~0 (the query photo itself).
    Raises :class:`~fitroom.errors.FitroomError` when the index was built with other weights.
    """
    if k < 1:
        raise FitroomError("k must be at least 1.")
    wid = _weights_id(weights)
    if index.weights_id != "unknown" and wid != "unknown" and wid != index.weights_id:
        raise GarmentIndexError("the index was built with other VAE weights; rebuild it with 'fitroom garments embed'.")
    q = standardise(embed_images([image], vae, weights=weights)[0], index.mean, index.std)
    d = 1.0 - index.vectors @ q
    order = np.argsort(d, kind="stable")
    hits = []
    for i in order:
        if exclude_self and d[i] < 1e-6:
            continue
        hits.append(Neighbour(index.paths[i], len(hits) + 1, float(d[i]), index.categories[i]))
        if len(hits) == k:
            break
    return hits


def similar_sheet(query: np.ndarray, hits: list[Neighbour], *, tile: int = 160) -> np.ndarray:
    """A contact sheet: the query first, then the hits with rank and distance."""
    from fitroom.imaging import load_image
    from fitroom.imaging.sheet import grid_image

    def square(im: np.ndarray) -> np.ndarray:
        h, w = im.shape[:2]
        s = max(h, w)
        out = np.full((s, s, 3), 255, np.uint8)
        out[(s - h) // 2:(s - h) // 2 + h, (s - w) // 2:(s - w) // 2 + w] = im
        return out

    tiles = [square(query)] + [square(load_image(h.path)) for h in hits]
    labels = ["query"] + [f"#{h.rank} d={h.distance:.2f}" for h in hits]
    return grid_image(tiles, cols=min(len(tiles), 5), tile=tile, labels=labels)
