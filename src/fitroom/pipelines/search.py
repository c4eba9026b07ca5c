"""Catalog search with the garment VAE: embeddings of product photos and "more like this".

>>> from fitroom.pipelines.search import embed_catalog, similar
>>> index = embed_catalog("shop/garments")          # doctest: +SKIP
>>> index.save("shop.npz")                           # doctest: +SKIP
>>> hits = similar(load_image("tee.png"), index, k=8)  # doctest: +SKIP

A garment's embedding has three blocks, each standardised by the catalog's per-dimension
mean and standard deviation and L2 normalised, then weighted and concatenated (and the whole
L2 normalised again):

* ``shape``: the VAE's posterior mean ``mu`` of the photo (framed as in training): silhouette,
  garment type, lightness;
* ``print``: :func:`fitroom.garment.appearance.print_descriptor` of the framed fabric (Gabor
  band energies, LBP, FFT periodicity; colour-invariant): stripes / checks / dots / plain;
* ``colour``: :func:`fitroom.garment.appearance.colour_descriptor` (Lab histograms).

With block weights ``w_b`` the cosine similarity of two embeddings is
``sum_b w_b**2 cos_b / sum_b w_b**2``, the weighted mean of the blocks' cosines.
:data:`DEFAULT_BLOCK_WEIGHTS` (``shape=1, print=0.5, colour=0.5``) were chosen on the garment
set's train split (``benchmarks/eval_garmentgen.py --only retrieval``); pass ``blocks`` (a dict
or ``"shape=1,print=0,colour=0"``, the VAE-only ranking of index version 1) to change them.
Neighbours are ranked by cosine similarity (``1 - cos`` is reported as the distance). Photos
that fitroom's garment analysis rejects (not a garment, trousers, two garments) are skipped
and listed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fitroom.errors import FitroomError, ImageError

from .garment_models import default_weights, encode_garments, load_vae, prepare_photo

__all__ = ["BLOCKS", "DEFAULT_BLOCK_WEIGHTS", "INDEX_VERSION", "GarmentIndex", "GarmentIndexError", "Neighbour",
           "block_vectors", "embed_catalog", "embed_images", "load_index", "parse_block_weights", "similar",
           "similar_sheet"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
#: the embedding's blocks, in order
BLOCKS = ("shape", "print", "colour")
#: default block weights (chosen on the garment set's train split; see the module docstring)
DEFAULT_BLOCK_WEIGHTS: dict[str, float] = {"shape": 1.0, "print": 0.5, "colour": 0.5}
#: 1: VAE means only; 2: plus appearance descriptors (colour + print) and their statistics
INDEX_VERSION = 2


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


def parse_block_weights(spec: str | dict | None) -> dict[str, float]:
    """Block weights from ``"shape=1,print=1,colour=0.5"`` (blocks left out weigh 0), a dict,
    or ``None`` (:data:`DEFAULT_BLOCK_WEIGHTS`). ``color`` is accepted for ``colour``.
    Raises :class:`~fitroom.errors.FitroomError` for unknown blocks, negative weights or all
    zero."""
    if spec is None:
        return dict(DEFAULT_BLOCK_WEIGHTS)
    if isinstance(spec, str):
        items = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, eq, val = part.partition("=")
            try:
                if not eq:
                    raise ValueError
                items[name.strip()] = float(val)
            except ValueError:
                raise FitroomError(f"block weight {part!r} is not NAME=NUMBER (e.g. 'shape=1,print=1,colour=0.5').") from None
        spec = items
    out = {b: 0.0 for b in BLOCKS}
    for name, val in dict(spec).items():
        name = "colour" if name == "color" else name
        if name not in out:
            raise FitroomError(f"unknown embedding block {name!r}; the blocks are {', '.join(BLOCKS)}.")
        if not np.isfinite(val) or val < 0:
            raise FitroomError(f"block weight {name}={val} must be a finite number >= 0.")
        out[name] = float(val)
    if not any(out.values()):
        raise FitroomError("at least one block weight must be positive.")
    return out


def appearance_stats(app: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension mean and standard deviation (+1e-3) of appearance rows ``[N, D]``."""
    app = np.asarray(app, np.float64)
    if len(app) < 2:
        return np.zeros(app.shape[1]), np.ones(app.shape[1])
    return app.mean(0), app.std(0) + 1e-3


def block_vectors(mu: np.ndarray, appearance: np.ndarray | None, stats: dict[str, np.ndarray],
                  blocks: dict[str, float]) -> np.ndarray:
    """The embeddings compared by cosine similarity: rows ``[N, latent_dim]`` of VAE means and
    ``[N, COLOUR_DIM + PRINT_DIM]`` appearance descriptors (colour first), standardised by
    ``stats`` (``mean``/``std`` of ``mu``, ``app_mean``/``app_std``), each block
    L2-normalised and multiplied by its weight, concatenated, L2-normalised. Blocks of weight
    0 are left out (``appearance`` may then be ``None``)."""
    from fitroom.garment.appearance import COLOUR_DIM

    parts = []
    if blocks.get("shape", 0) > 0:
        parts.append(blocks["shape"] * standardise(mu, stats["mean"], stats["std"]))
    for name, sl in (("print", slice(COLOUR_DIM, None)), ("colour", slice(0, COLOUR_DIM))):
        if blocks.get(name, 0) > 0:
            if appearance is None:
                raise GarmentIndexError("this index has no appearance descriptors (it was written by an older fitroom, "
                                        "index version 1); rebuild it with 'fitroom garments embed', or search by "
                                        "shape only with --weights shape=1.")
            a = np.asarray(appearance, np.float64)[..., sl]
            parts.append(blocks[name] * standardise(a, stats["app_mean"][sl], stats["app_std"][sl]))
    v = np.concatenate(parts, axis=-1)
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


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
        appearance: ``[N, COLOUR_DIM + PRINT_DIM]`` colour and print descriptors
            (:mod:`fitroom.garment.appearance`), ``None`` in a version-1 index.
        app_mean, app_std: their per-dimension statistics (``None`` in a version-1 index).
    """

    paths: list[str]
    mu: np.ndarray
    categories: list[str]
    mean: np.ndarray
    std: np.ndarray
    weights_id: str
    skipped: list[tuple[str, str]] = field(default_factory=list)
    appearance: np.ndarray | None = None
    app_mean: np.ndarray | None = None
    app_std: np.ndarray | None = None

    @property
    def version(self) -> int:
        return 1 if self.appearance is None else INDEX_VERSION

    @property
    def stats(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "std": self.std, "app_mean": self.app_mean, "app_std": self.app_std}

    def embeddings(self, blocks: str | dict | None = None) -> np.ndarray:
        """The catalog's embeddings with block weights ``blocks`` (see :func:`parse_block_weights`)."""
        return block_vectors(self.mu, self.appearance, self.stats, parse_block_weights(blocks))

    @property
    def vectors(self) -> np.ndarray:
        """The embeddings with the default weights (VAE only for a version-1 index)."""
        return self.embeddings(None if self.appearance is not None else "shape=1")

    def save(self, path: str | Path) -> Path:
        """Write ``path`` (``.npz`` is appended when missing)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, paths=np.array(self.paths), mu=self.mu.astype(np.float32), categories=np.array(self.categories),
                 mean=self.mean, std=self.std, weights_id=np.array(self.weights_id),
                 skipped=np.array(json.dumps(self.skipped)), kind=np.array("fitroom-garment-index"),
                 **({} if self.appearance is None else
                    {"version": np.array(INDEX_VERSION), "appearance": self.appearance.astype(np.float32),
                     "app_mean": self.app_mean, "app_std": self.app_std}))
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
        version = int(z["version"]) if "version" in z.files else 1
    except (OSError, ValueError, KeyError) as e:
        raise GarmentIndexError(f"{path} is not a garment index written by 'fitroom garments embed' ({e}).") from None
    if version > INDEX_VERSION:
        raise GarmentIndexError(f"{path} is a garment index of version {version}, newer than this fitroom reads "
                                f"({INDEX_VERSION}); upgrade fitroom or rebuild it with 'fitroom garments embed'.")
    try:
        extra = {}
        if version >= 2:
            extra = {"appearance": z["appearance"], "app_mean": z["app_mean"], "app_std": z["app_std"]}
        return GarmentIndex(paths=[str(p) for p in z["paths"]], mu=z["mu"], categories=[str(c) for c in z["categories"]],
                            mean=z["mean"], std=z["std"], weights_id=str(z["weights_id"]),
                            skipped=[tuple(s) for s in json.loads(str(z["skipped"]))], **extra)
    except (OSError, ValueError, KeyError) as e:
        raise GarmentIndexError(f"{path} is not a garment index written by 'fitroom garments embed' ({e}).") from None


def embed_images(images: list[np.ndarray], vae=None, *, weights=None) -> np.ndarray:
    """Posterior means ``[N, latent_dim]`` of garment photos (each analysed and framed; a photo
    that is not a garment raises fitroom's garment error)."""
    return _embed(images, vae, weights)[0]


def _appearance(prepared) -> np.ndarray:
    from fitroom.garment.appearance import appearance_descriptor

    rows = [np.concatenate(appearance_descriptor(p.rgb, p.mask)) for p in prepared]
    return np.stack(rows).astype(np.float32)


def _embed(images: list[np.ndarray], vae=None, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """VAE means and appearance descriptors of garment photos."""
    vae = vae if vae is not None else load_vae(weights)
    size = vae.config.image_size
    prepared = [prepare_photo(im, size) for im in images]
    return np.stack([c.mu for c in encode_garments(vae, prepared)]), _appearance(prepared)


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
    app = _appearance(prepared)
    app_mean, app_std = appearance_stats(app)
    return GarmentIndex(paths=[str(p) for p in kept], mu=mu, categories=[str(p.analysis.category) for p in prepared],
                        mean=mean, std=std, weights_id=_weights_id(weights), skipped=skipped,
                        appearance=app, app_mean=app_mean, app_std=app_std)


@dataclass(frozen=True)
class Neighbour:
    """One hit of :func:`similar`: the catalog photo, its rank (1 = closest), the cosine
    distance ``1 - cos`` and the garment type of the catalog photo."""

    path: str
    rank: int
    distance: float
    category: str


def similar(image: np.ndarray, index: GarmentIndex, k: int = 8, *, weights: str | Path | None = None,
            vae=None, exclude_self: bool = True, blocks: str | dict | None = None) -> list[Neighbour]:
    """The ``k`` catalog garments closest to the garment in ``image``.

    ``blocks``: embedding block weights (:func:`parse_block_weights`; default
    :data:`DEFAULT_BLOCK_WEIGHTS`, or shape only for a version-1 index). ``weights`` names the
    VAE weights (not the block weights). ``exclude_self`` drops a catalog entry at distance ~0
    (the query photo itself). Raises :class:`~fitroom.errors.FitroomError` when the index was
    built with other weights, or lacks the appearance blocks asked for.
    """
    if k < 1:
        raise FitroomError("k must be at least 1.")
    bw = parse_block_weights(blocks if blocks is not None or index.appearance is not None else "shape=1")
    wid = _weights_id(weights)
    if index.weights_id != "unknown" and wid != "unknown" and wid != index.weights_id:
        raise GarmentIndexError("the index was built with other VAE weights; rebuild it with 'fitroom garments embed'.")
    cat = block_vectors(index.mu, index.appearance, index.stats, bw)  # checks the blocks before the query is read
    mu, app = _embed([image], vae, weights)
    q = block_vectors(mu, app, index.stats, bw)[0]
    d = 1.0 - cat @ q
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
