"""Pure helpers on ``HxW`` masks (OpenCV).

Inputs may be ``bool`` or any integer dtype (non-zero = foreground); outputs are new
``bool`` arrays (``feather`` gives ``float32``). Inputs are never modified. Foreground
components are 8-connected; radii are in pixels; boxes are ``(x0, y0, x1, y1)`` with
``x1, y1`` exclusive. Dilation and erosion use a round (disc) kernel of the given radius.
"""

from __future__ import annotations

import numbers

import cv2
import numpy as np

__all__ = [
    "bbox",
    "dilate",
    "erode",
    "feather",
    "fill_holes",
    "largest_component",
    "mask_iou",
    "remove_small_components",
]


def _as_mask(mask: np.ndarray, name: str = "mask") -> np.ndarray:
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D HxW array, got shape {arr.shape}")
    if arr.dtype != np.bool_ and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must be bool or integer, got {arr.dtype}")
    return arr != 0


def _radius(radius: int) -> int:
    if isinstance(radius, bool) or not isinstance(radius, numbers.Integral) or radius < 0:
        raise ValueError(f"radius must be a non-negative integer, got {radius!r}")
    return int(radius)


def _components(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels (int32 HxW, 0 = background) and the area of each label."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask.view(np.uint8), connectivity=8, ltype=cv2.CV_32S
    )
    return labels, stats[:, cv2.CC_STAT_AREA]


def largest_component(mask: np.ndarray) -> np.ndarray:
    """Keep only the largest 8-connected component (the first in raster order on ties)."""
    m = _as_mask(mask)
    if not m.any():
        return m
    labels, areas = _components(m)
    return labels == 1 + int(np.argmax(areas[1:]))


def remove_small_components(mask: np.ndarray, min_fraction: float) -> np.ndarray:
    """Drop components smaller than ``min_fraction`` times the area of the largest one.

    ``min_fraction`` is in ``[0, 1]``: 0 keeps everything, 1 keeps the largest (and equal) ones.
    """
    if not 0.0 <= float(min_fraction) <= 1.0:
        raise ValueError(f"min_fraction must be between 0 and 1, got {min_fraction!r}")
    m = _as_mask(mask)
    if not m.any():
        return m
    labels, areas = _components(m)
    keep = areas >= float(min_fraction) * areas[1:].max()
    keep[0] = False
    return keep[labels]


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill background regions that do not touch the image border (4-connected background)."""
    m = _as_mask(mask)
    padded = np.pad(m, 1).astype(np.uint8)
    flood = np.zeros((padded.shape[0] + 2, padded.shape[1] + 2), np.uint8)
    cv2.floodFill(padded, flood, (0, 0), 1)  # reach all outside background from the frame
    return m | (padded[1:-1, 1:-1] == 0)


def _distance_to_zero(mask: np.ndarray) -> np.ndarray:
    """Exact Euclidean distance of each True pixel to the nearest False one (float32)."""
    return cv2.distanceTransform(mask.view(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Grow the mask by ``radius`` pixels: a round kernel ``x^2 + y^2 <= r^2``; 0 = copy.

    Computed with an exact distance transform, so the cost does not grow with the radius.
    """
    m, r = _as_mask(mask), _radius(radius)
    if r == 0:
        return m
    return _distance_to_zero(~m) <= r


def erode(mask: np.ndarray, radius: int) -> np.ndarray:
    """Shrink the mask by ``radius`` pixels: a round kernel ``x^2 + y^2 <= r^2``; 0 = copy.

    Outside the image counts as foreground, so a mask cut by the border is not eroded there.
    """
    m, r = _as_mask(mask), _radius(radius)
    if r == 0:
        return m
    return _distance_to_zero(m) > r


def feather(mask: np.ndarray, radius: int) -> np.ndarray:
    """Soft alpha: ``float32`` HxW in ``[0, 1]``, a Gaussian blur (sigma = radius / 2).

    The edge ramps over about ``radius`` pixels on each side; radius 0 = the hard mask.
    The image border is extended (replicated), so a mask touching it stays opaque there.
    """
    m, r = _as_mask(mask), _radius(radius)
    alpha = m.astype(np.float32)
    if r == 0:
        return alpha
    blurred = cv2.GaussianBlur(
        alpha, (2 * r + 1, 2 * r + 1), sigmaX=r / 2, borderType=cv2.BORDER_REPLICATE
    )
    return np.clip(blurred, 0.0, 1.0)


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two same-shape masks; 1.0 when both are empty."""
    ma, mb = _as_mask(a, "a"), _as_mask(b, "b")
    if ma.shape != mb.shape:
        raise ValueError(f"masks differ in shape: {ma.shape} vs {mb.shape}")
    union = int(np.count_nonzero(ma | mb))
    if union == 0:
        return 1.0
    return int(np.count_nonzero(ma & mb)) / union


def bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """Bounding box ``(x0, y0, x1, y1)`` of the foreground (x1, y1 exclusive), or None if empty."""
    m = _as_mask(mask)
    cols, rows = np.flatnonzero(m.any(axis=0)), np.flatnonzero(m.any(axis=1))
    if cols.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1
