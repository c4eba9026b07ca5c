"""Labelled garment product photos for the garment VAE, rendered by fitroom itself.

Every item is a product photo from :func:`fitroom.data.render_garment.render_garment` with its
exact mask, brought into the VAE's frame by :func:`prepare_garment` (the same function that
prepares a user's photo at run time): cropped to the mask's bounding box plus a margin,
centred on a square white canvas, resized to ``size`` x ``size``. Labels: garment type (the
four types fitroom can try on) and texture family (the renderer's :data:`PATTERNS`).

Layout written by :func:`write_garment_set`::

    DIR/meta.json                      kind, size, seed, count, labels, split sizes
    DIR/{train,test}/images/000123.png  RGB, garment on white
    DIR/{train,test}/masks/000123.png   soft mask (uint8, 255 = garment)
    DIR/{train,test}/meta.jsonl         one line per item: id, category, pattern, colour, render seed

The split is drawn from the dataset seed: the same arguments give the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fitroom.errors import DatasetError
from fitroom.labels import GarmentCategory

from .render_garment import PATTERNS, render_garment

__all__ = [
    "GARMENT_TYPES",
    "GarmentItem",
    "GarmentSet",
    "prepare_garment",
    "read_garment_set",
    "write_garment_set",
]

#: the garment types the VAE is trained on (the ones fitroom can try on)
GARMENT_TYPES: tuple[GarmentCategory, ...] = (
    GarmentCategory.SHORT_SLEEVE_TOP,
    GarmentCategory.LONG_SLEEVE_TOP,
    GarmentCategory.SLEEVELESS_TOP,
    GarmentCategory.DRESS,
)
KIND = "fitroom-garment-set"


def prepare_garment(image: np.ndarray, mask: np.ndarray, size: int = 128, margin: float = 0.06,
                    background: int = 255) -> tuple[np.ndarray, np.ndarray]:
    """A garment photo in the VAE's frame: ``(rgb uint8 (size, size, 3), mask uint8 (size, size))``.

    ``image`` is ``(H, W, 3)`` uint8 RGB, ``mask`` ``(H, W)`` bool or uint8 (non-zero /
    values in 0-255 = garment coverage). The mask's bounding box plus ``margin`` (fraction of
    its longer side on each side) is centred on a square canvas of ``background`` grey
    (white), pixels outside the mask are replaced by the background, and the square is
    area-resized to ``size``. The returned mask is the soft coverage (0-255). Inputs are
    not modified. Raises ValueError for an empty mask or mismatched shapes.
    """
    img = np.asarray(image)
    m = np.asarray(mask)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"image must be (H, W, 3) uint8, got {img.shape} {img.dtype}")
    if m.shape != img.shape[:2]:
        raise ValueError(f"mask shape {m.shape} does not match the image {img.shape[:2]}")
    mf = (m > 0).astype(np.float32) if m.dtype == np.bool_ or m.max() <= 1 else m.astype(np.float32) / 255.0
    ys, xs = np.nonzero(mf > 0.5)
    if len(ys) == 0:
        raise ValueError("the garment mask is empty")
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    side = max(y1 - y0, x1 - x0)
    side_m = int(round(side * (1 + 2 * margin)))
    cy, cx = (y0 + y1) / 2.0, (x0 + x1) / 2.0
    top, left = int(round(cy - side_m / 2)), int(round(cx - side_m / 2))
    canvas = np.full((side_m, side_m, 3), float(background), np.float32)
    mcan = np.zeros((side_m, side_m), np.float32)
    # the part of the photo that falls inside the square
    sy0, sx0 = max(top, 0), max(left, 0)
    sy1, sx1 = min(top + side_m, img.shape[0]), min(left + side_m, img.shape[1])
    a = mf[sy0:sy1, sx0:sx1]
    canvas[sy0 - top:sy1 - top, sx0 - left:sx1 - left] = (
        img[sy0:sy1, sx0:sx1].astype(np.float32) * a[..., None] + float(background) * (1 - a[..., None]))
    mcan[sy0 - top:sy1 - top, sx0 - left:sx1 - left] = a
    interp = cv2.INTER_AREA if side_m >= size else cv2.INTER_LINEAR
    rgb = cv2.resize(canvas, (size, size), interpolation=interp)
    ms = cv2.resize(mcan, (size, size), interpolation=interp)
    return (np.clip(rgb + 0.5, 0, 255).astype(np.uint8), np.clip(ms * 255 + 0.5, 0, 255).astype(np.uint8))


@dataclass(frozen=True)
class GarmentItem:
    """One labelled garment of a set (paths and labels; images are read on demand)."""

    id: str
    image: Path
    mask: Path
    category: str
    pattern: str
    colour: tuple[int, int, int]


@dataclass(frozen=True)
class GarmentSet:
    """A garment set read by :func:`read_garment_set`: its items per split and its meta."""

    root: Path
    size: int
    meta: dict
    splits: dict[str, list[GarmentItem]]

    def items(self, split: str) -> list[GarmentItem]:
        if split not in self.splits:
            raise DatasetError(f"{self.root} has no split '{split}'; it has {', '.join(sorted(self.splits))}.")
        return self.splits[split]


def plan_split(out: Path, count: int, test_fraction: float, seed: int, what: str) -> np.ndarray:
    """Checks shared by fitroom's generated sets, then which of ``count`` items go to the
    test split: ``(count,)`` bool, ``round(count * test_fraction)`` (at least one) chosen by
    ``seed``. Refuses a folder that already holds a dataset."""
    if count < 2:
        raise DatasetError(f"a {what} needs at least 2 items (one for each split).")
    if not 0 < test_fraction < 1:
        raise DatasetError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    if (out / "meta.json").exists():
        raise DatasetError(f"{out} already holds a dataset; choose another folder.")
    rng = np.random.default_rng(seed)
    is_test = np.zeros(count, bool)
    is_test[rng.permutation(count)[: max(1, int(round(count * test_fraction)))]] = True
    return is_test


def _render_item(index: int, seed: int, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, dict]:
    category = GARMENT_TYPES[int(rng.integers(len(GARMENT_TYPES)))]
    pattern = PATTERNS[int(rng.integers(len(PATTERNS)))]
    rseed = int(seed) * 1_000_003 + index
    g = render_garment(category, size=(192, 256), seed=rseed, pattern=pattern)
    rgb, m = prepare_garment(g.image, g.mask, size)
    meta = {"category": str(category), "pattern": pattern, "colour": list(g.colour), "render_seed": rseed}
    return rgb, m, meta


def write_garment_set(out: str | Path, count: int, *, size: int = 128, seed: int = 0,
                      test_fraction: float = 0.1, progress: bool = False) -> dict:
    """Render ``count`` labelled garments into ``out`` (see the module docstring for the layout).

    Garment types are drawn uniformly from :data:`GARMENT_TYPES` and texture families
    uniformly from :data:`PATTERNS`; colours, shapes and shading from the renderer's seed.
    ``test_fraction`` of the items (a seeded permutation) go to ``test``. Returns the summary
    written to ``meta.json``.
    """
    from PIL import Image

    if size < 16:
        raise DatasetError(f"size must be at least 16, got {size}")
    out = Path(out)
    is_test = plan_split(out, count, test_fraction, seed, "garment set")
    lines: dict[str, list[str]] = {"train": [], "test": []}
    for split in lines:
        (out / split / "images").mkdir(parents=True, exist_ok=True)
        (out / split / "masks").mkdir(parents=True, exist_ok=True)
    it = range(count)
    if progress:
        from rich.progress import track

        it = track(it, description="rendering garments")
    for i in it:
        item_rng = np.random.default_rng([seed, i])
        rgb, m, meta = _render_item(i, seed, size, item_rng)
        split = "test" if is_test[i] else "train"
        name = f"{i:06d}"
        Image.fromarray(rgb).save(out / split / "images" / f"{name}.png")
        Image.fromarray(m).save(out / split / "masks" / f"{name}.png")
        lines[split].append(json.dumps({"id": name, **meta}))
    for split, ls in lines.items():
        (out / split / "meta.jsonl").write_text("\n".join(ls) + "\n")
    summary = {
        "kind": KIND, "size": size, "seed": seed, "count": count,
        "train": len(lines["train"]), "test": len(lines["test"]),
        "categories": [str(c) for c in GARMENT_TYPES], "patterns": list(PATTERNS),
        "renderer": "fitroom.data.render_garment (192x256, exact masks)",
    }
    (out / "meta.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def read_garment_set(root: str | Path) -> GarmentSet:
    """Read a folder written by :func:`write_garment_set`; :class:`DatasetError` naming what is
    missing otherwise."""
    root = Path(root)
    meta_path = root / "meta.json"
    if not meta_path.is_file():
        raise DatasetError(f"{root} is not a garment set (no meta.json); write one with 'fitroom data garments'.")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as e:
        raise DatasetError(f"{meta_path} is not valid JSON: {e}") from None
    if meta.get("kind") != KIND:
        raise DatasetError(f"{root} holds a '{meta.get('kind')}' dataset, not a garment set.")
    splits: dict[str, list[GarmentItem]] = {}
    for split in ("train", "test"):
        ml = root / split / "meta.jsonl"
        if not ml.is_file():
            continue
        items = []
        for line in ml.read_text().splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            img, msk = root / split / "images" / f"{r['id']}.png", root / split / "masks" / f"{r['id']}.png"
            for p in (img, msk):
                if not p.is_file():
                    raise DatasetError(f"{p} is missing from the garment set {root}.")
            items.append(GarmentItem(r["id"], img, msk, r["category"], r["pattern"], tuple(r["colour"])))
        splits[split] = items
    if not splits:
        raise DatasetError(f"{root} has neither train/ nor test/ items.")
    return GarmentSet(root=root, size=int(meta["size"]), meta=meta, splits=splits)
