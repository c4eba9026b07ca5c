"""Measures of the everyday try-on (``Protocol.PHOTO``), where there is no ground truth.

* :func:`kept_body`: did the person's own arms, hands and neck stay, where the new garment
  does not cover them?
* :func:`skin_delta_e`: is the skin that was made the person's own colour?
* :func:`seam_step`: is the boundary of what was regenerated invisible?
* :func:`sleeve_iou`: do the sleeves land on the true sleeves (synthetic data, truth known)?

All take ``(H, W, 3)`` uint8 RGB images and ``(H, W)`` bool masks of one size and return
plain floats (``None`` where the measure has nothing to measure).
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab

from fitroom.labels import ARMS, Cihp

__all__ = ["KEPT_BODY_IDS", "kept_body", "skin_delta_e", "seam_step", "sleeve_iou"]

#: the person's own arms, hands and neck/torso skin (CIHP ids)
KEPT_BODY_IDS = ARMS + (Cihp.TORSO_SKIN,)


def _check(*images: np.ndarray) -> None:
    for a in images:
        if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3:
            raise ValueError(f"expected an (H, W, 3) uint8 image, got {a.dtype} {a.shape}")
    if len({a.shape for a in images}) > 1:
        raise ValueError(f"images differ in shape: {[a.shape for a in images]}")


def _erode(mask: np.ndarray, r: int) -> np.ndarray:
    if r <= 0:
        return mask.copy()
    k = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    return cv2.erode(mask.astype(np.uint8), k, borderType=cv2.BORDER_CONSTANT, borderValue=1).astype(bool)


def kept_body(before: np.ndarray, after: np.ndarray, parse: np.ndarray, covered: np.ndarray, *,
              erode: int = 2, tol: int = 8, skin: np.ndarray | None = None) -> float | None:
    """The fraction of the person's arm, hand and neck pixels (``parse`` ids
    :data:`KEPT_BODY_IDS`, eroded by ``erode`` px; within ``skin`` when given: what is
    coloured like the person's skin, as a dataset's parse sometimes calls a long sleeve an
    arm) left unchanged (every channel within ``tol``) where the new garment does not cover
    them (``~covered``). None when there are none."""
    _check(before, after)
    body = _erode(np.isin(parse, KEPT_BODY_IDS), erode) & ~np.asarray(covered, bool)
    if skin is not None:
        body &= np.asarray(skin, bool)
    n = int(body.sum())
    if n == 0:
        return None
    same = np.abs(before.astype(np.int16) - after.astype(np.int16)).max(axis=2) <= tol
    return float(same[body].mean())


def skin_delta_e(image: np.ndarray, made: np.ndarray, reference: np.ndarray) -> float | None:
    """CIEDE2000 between the median Lab colour of the made skin (``made`` pixels of ``image``)
    and the median of ``reference`` ((N, 3) uint8 RGB pixels of the person's own visible
    skin). None without made skin or reference."""
    made = np.asarray(made, bool)
    if made.sum() < 20 or len(reference) < 20:
        return None
    a = np.median(rgb2lab(image[made].reshape(-1, 1, 3)).reshape(-1, 3), axis=0)
    b = np.median(rgb2lab(np.asarray(reference, np.uint8).reshape(-1, 1, 3)).reshape(-1, 3), axis=0)
    return float(deltaE_ciede2000(a[None], b[None])[0])


def _luma(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def _boundary_steps(y: np.ndarray, inside: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """|y(p) - y(q)| for every pair of 4-neighbours with p in ``inside`` and q in ``outside``."""
    steps = []
    h, w = y.shape
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        p = (slice(max(0, -dy), h - max(0, dy)), slice(max(0, -dx), w - max(0, dx)))
        q = (slice(max(0, dy), h - max(0, -dy)), slice(max(0, dx), w - max(0, -dx)))
        sel = inside[p] & outside[q]
        steps.append(np.abs(y[p][sel] - y[q][sel]))
    return np.concatenate(steps)


def seam_step(image: np.ndarray, region: np.ndarray, materials: list[tuple[np.ndarray, np.ndarray]], *,
              offset: int = 4) -> dict[str, float | None]:
    """How visible the boundary of ``region`` (the regenerated pixels) is in ``image``, where
    the same material continues across it.

    ``materials``: pairs ``(made, real)`` of (H, W) bool masks: pixels of ``region`` made as
    one material (regenerated background, made skin, the lower garment) and the photo's own
    pixels of that material (the real background ...). ``seam``: the mean absolute luminance
    step (0..255) between 4-neighbours across the boundary, from made to real of the same
    material (a silhouette, where made skin meets real background, is an edge the photo is
    meant to have and is not counted). ``band``: the same measure ``offset`` px further out,
    between real pixels of the material on both sides: how strong an ordinary line of the
    photo is there. ``ratio``: seam / band (1: the seam is as visible as any line of the
    photo there; the band is taken as at least 0.5)."""
    _check(image)
    region = np.asarray(region, bool)
    y = _luma(image)
    k = np.ones((2 * offset + 1, 2 * offset + 1), np.uint8)
    seams, bands = [], []
    for made, real in materials:
        made = np.asarray(made, bool) & region
        real = np.asarray(real, bool) & ~region
        if not made.any() or not real.any():
            continue
        seams.append(_boundary_steps(y, made, real))
        grown = cv2.dilate(made.astype(np.uint8), k).astype(bool)
        bands.append(_boundary_steps(y, grown & real, real & ~grown))
    s = np.concatenate(seams) if seams else np.zeros(0)
    b = np.concatenate(bands) if bands else np.zeros(0)
    seam = float(s.mean()) if len(s) else None
    band = float(b.mean()) if len(b) else None
    ratio = None if seam is None or band is None else seam / max(band, 0.5)
    return {"seam": seam, "band": band, "ratio": ratio}


def sleeve_iou(result_sleeves: np.ndarray, true_sleeves: np.ndarray) -> float | None:
    """IoU of the result's sleeve pixels with the true ones; None when neither has any."""
    a, b = np.asarray(result_sleeves, bool), np.asarray(true_sleeves, bool)
    union = (a | b).sum()
    if union == 0:
        return None
    return float((a & b).sum() / union)
