"""Preservation checks: did a try-on leave alone what it must not change?

A try-on replaces a garment; the face, the hair, the background and (for a top) the lower
body must come out exactly as they went in (DESIGN.md: those pixels are copied from the
input). This module measures, against the *input* photo and its parse map (the dataset's
or fitroom's own), which fraction of each of those regions changed and by how much.

Regions (CIHP ids of the input's parse map):

- ``face``: face, sunglasses; ``hair``: hair, hat; ``background``: background;
- ``lower_body``: pants, skirt, legs, socks, shoes. For a dress only the feet (socks,
  shoes) are checked, since a dress covers the legs to a length the input does not show,
  and the background inside the box around the lower body is not checked either (a
  flared skirt covers it). For a bottom (trousers, skirt) the lower body is not checked.

Each region is eroded by ``erode`` pixels (a square of side ``2 * erode + 1``, class by
class, so boundary pixels between two classes never count; the photo's border is not a
boundary). Pixels in ``exclude`` (the paired protocol's cloth-agnostic region, which a
try-on must synthesise) are not counted either, nor those within ``seam`` pixels of it
(default ``3 * erode``: a compositor may blend across the edge of what it synthesised; the
learned engine's blend reaches 2-5 px outside its removed region at 256x192).

A pixel *changed* when any channel differs by more than ``tol`` (of 255).
"""

from __future__ import annotations

import cv2
import numpy as np

from fitroom.labels import Cihp, GarmentCategory

__all__ = ["PRESERVED_REGIONS", "MAX_CHANGED", "default_erosion", "preserved_regions", "preservation",
           "flatten"]

PRESERVED_REGIONS: dict[str, tuple[Cihp, ...]] = {
    "face": (Cihp.FACE, Cihp.SUNGLASSES),
    "hair": (Cihp.HAIR, Cihp.HAT),
    "background": (Cihp.BACKGROUND,),
    "lower_body": (Cihp.PANTS, Cihp.SKIRT, Cihp.LEFT_LEG, Cihp.RIGHT_LEG, Cihp.SOCKS, Cihp.LEFT_SHOE,
                   Cihp.RIGHT_SHOE),
}
_FEET = (Cihp.SOCKS, Cihp.LEFT_SHOE, Cihp.RIGHT_SHOE)

#: a sample whose changed fraction in any region exceeds this is flagged as altering it
MAX_CHANGED = 0.01
#: per-channel difference (of 255) above which a pixel counts as changed
DEFAULT_TOL = 8


def default_erosion(shape: tuple[int, ...]) -> int:
    """Erosion radius in pixels for a photo of ``shape``: 1 per 128 px of the short side
    (2 at 256x192, 6 at 1024x768), at least 1."""
    return max(1, int(round(min(shape[:2]) / 128)))


def _erode(mask: np.ndarray, r: int) -> np.ndarray:
    if r <= 0 or not mask.any():
        return mask.copy()
    k = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    # border value 1: pixels at the photo's edge are not a class boundary
    return cv2.erode(mask.astype(np.uint8), k, borderType=cv2.BORDER_CONSTANT, borderValue=1).astype(bool)


def _dilate(mask: np.ndarray, r: int) -> np.ndarray:
    if r <= 0 or not mask.any():
        return mask.copy()
    k = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    return cv2.dilate(mask.astype(np.uint8), k, borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)


def _category(category) -> GarmentCategory | None:
    if category is None or isinstance(category, GarmentCategory):
        return category
    try:
        return GarmentCategory(str(category))
    except ValueError:
        raise ValueError(f"preservation: unknown garment category {category!r}; "
                         f"expected one of {[c.value for c in GarmentCategory]}") from None


def preserved_regions(parse: np.ndarray, category: GarmentCategory | str | None = None, *,
                      exclude: np.ndarray | None = None, erode: int | None = None,
                      seam: int | None = None) -> dict[str, np.ndarray]:
    """Boolean masks of the pixels that must not change, by region name.

    ``parse``: ``(H, W)`` integer CIHP ids of the input photo. ``category``: the garment
    tried on (``None``: treated as a top). ``exclude``: ``(H, W)`` bool pixels not to count
    (grown by ``seam``, default ``3 * erode``). ``erode``: radius in pixels, default
    :func:`default_erosion`.
    A region the input does not show is an empty mask. Inputs are not modified.
    """
    parse = np.asarray(parse)
    if parse.ndim != 2:
        raise ValueError(f"preservation: the parse map must be (H, W) class ids, got shape {parse.shape}")
    cat = _category(category)
    r = default_erosion(parse.shape) if erode is None else int(erode)
    if r < 0:
        raise ValueError(f"preservation: erode must be >= 0, got {r}")
    seam = 3 * r if seam is None else int(seam)
    if seam < 0:
        raise ValueError(f"preservation: seam must be >= 0, got {seam}")
    skip = np.zeros(parse.shape, bool)
    if exclude is not None:
        exclude = np.asarray(exclude, bool)
        if exclude.shape != parse.shape:
            raise ValueError(f"preservation: exclude mask {exclude.shape} and parse map {parse.shape} differ in shape")
        skip = _dilate(exclude, seam)
    out = {}
    for name, labels in PRESERVED_REGIONS.items():
        if name == "lower_body" and cat is not None and cat.is_bottom:
            continue
        if name == "lower_body" and cat == GarmentCategory.DRESS:
            labels = _FEET
        region = _erode(np.isin(parse, labels), r) & ~skip
        if name == "background" and cat == GarmentCategory.DRESS:
            lower = np.isin(parse, PRESERVED_REGIONS["lower_body"])
            if lower.any():
                ys, xs = np.nonzero(lower)
                box = np.zeros_like(region)
                m = 2 * r + 1
                box[max(0, ys.min() - m):ys.max() + m + 1, max(0, xs.min() - m):xs.max() + m + 1] = True
                region &= ~box
        out[name] = region
    return out


def preservation(before: np.ndarray, after: np.ndarray, parse: np.ndarray,
                 category: GarmentCategory | str | None = None, *, exclude: np.ndarray | None = None,
                 erode: int | None = None, seam: int | None = None, tol: int = DEFAULT_TOL) -> dict[str, dict]:
    """How much of each preserved region changed between the input ``before`` and the
    try-on ``after`` (both ``(H, W, 3)`` uint8 of the same shape).

    Returns ``{region: {"pixels": n, "changed": fraction or None, "mad": mean abs
    difference (0-255, over pixels and channels) or None}}`` for each region in
    :func:`preserved_regions`, plus ``"all"`` over their union. ``None`` where the region
    has no pixels. Raises ValueError on mismatched shapes or non-uint8 images.
    """
    before, after = np.asarray(before), np.asarray(after)
    for a, which in ((before, "input"), (after, "result")):
        if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3:
            raise ValueError(f"preservation: the {which} must be an (H, W, 3) uint8 image, got {a.dtype} {a.shape}")
    if before.shape != after.shape:
        raise ValueError(f"preservation: input {before.shape} and result {after.shape} differ in shape")
    if np.asarray(parse).shape != before.shape[:2]:
        raise ValueError(f"preservation: parse map {np.asarray(parse).shape} does not match the photo {before.shape[:2]}")
    regions = preserved_regions(parse, category, exclude=exclude, erode=erode, seam=seam)
    diff = np.abs(before.astype(np.int16) - after.astype(np.int16))
    changed = diff.max(axis=2) > tol
    mad = diff.mean(axis=2)
    out: dict[str, dict] = {}
    union = np.zeros(before.shape[:2], bool)
    for name, m in list(regions.items()) + [("all", None)]:
        if m is None:
            m = union
        else:
            union |= m
        n = int(m.sum())
        out[name] = {"pixels": n, "changed": float(changed[m].mean()) if n else None,
                     "mad": float(mad[m].mean()) if n else None}
    return out


def flatten(result: dict[str, dict]) -> dict[str, float | None | bool]:
    """Row fields for metrics.json: ``preserve_<region>_changed`` and ``_mad`` per region,
    and ``preserve_ok`` (no region changed more than :data:`MAX_CHANGED`)."""
    row: dict = {}
    for name, v in result.items():
        row[f"preserve_{name}_changed"] = v["changed"]
        row[f"preserve_{name}_mad"] = v["mad"]
    row["preserve_ok"] = all(v["changed"] is None or v["changed"] <= MAX_CHANGED
                             for k, v in result.items() if k != "all")
    return row
