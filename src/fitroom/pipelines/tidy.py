"""Tidy an engine's garment layer before it is composed (everyday protocol).

A warp follows the person analysis it was given: where the parse of the photo is ragged (the
top edge of a skirt parsed in steps, a strip of the waistband parsed inside the old top), the
warped garment's outline is ragged the same way, and the kept lower garment shows through its
notches. A garment's own outline is smooth, so:

* holes inside the garment's torso are closed, and below the chest so are gaps and notches
  narrower than :data:`HOLE` shoulder widths (a strip of waistband parsed inside the old top);
* its hem (the torso's lowest pixel per column) is made smooth: a running median over
  :data:`HEM_WINDOW` shoulder widths, so a notch is filled and a spike (a flow that pulled a
  strap below the hem) is cut.

Pixels the garment gains take its colour continued from its own pixels around
(:func:`fitroom.imaging.fill.pushpull_field`); sleeves are left as they are.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
from scipy.ndimage import median_filter

from fitroom.imaging.fill import pushpull_field
from fitroom.person.body import BodyFrame, along_body
from fitroom.pipelines.compose import GarmentLayer

__all__ = ["tidy_layer", "smooth_hem", "HOLE", "HEM_WINDOW"]

#: gaps in the garment's torso narrower than this (shoulder widths) are closed
HOLE = 0.06
#: the hem is smoothed over this width (shoulder widths)
HEM_WINDOW = 0.4
#: a hem column this close to the smooth hem (shoulder widths) keeps its own lowest pixel
HEM_TOL = 0.02
#: the deepest notch in a hem that is filled (shoulder widths)
NOTCH = 0.2
#: below this many torso lengths from the neck (about the lowest ribs) notches open to the
#: outside are closed too
LOW = 0.45
#: only a body this close to upright (|down.x|) has its hem smoothed per image column
UPRIGHT = 0.35


def smooth_hem(torso: np.ndarray, window: int, tol: float = 2.0, max_notch: float | None = None) -> np.ndarray:
    """(H, W) bool ``torso`` with its lower outline made smooth: per column, the lowest
    garment pixel, where it is more than ``tol`` px from the running median of the lowest
    pixels over ``window`` columns, is moved to it: the column is cut below it, or filled
    down to it from its own lowest pixel when that is at most ``max_notch`` px above it
    (default: ``window``)."""
    max_notch = window if max_notch is None else max_notch
    h, w = torso.shape
    cols = np.nonzero(torso.any(axis=0))[0]
    if len(cols) < 3:
        return torso
    x0, x1 = cols.min(), cols.max() + 1
    sub = torso[:, x0:x1]
    has = sub.any(axis=0)
    bottom = np.where(has, h - 1 - np.argmax(sub[::-1], axis=0), -1).astype(np.float64)
    idx = np.arange(x1 - x0)
    bottom = np.interp(idx, idx[has], bottom[has])
    win = max(3, window | 1)
    smooth = median_filter(bottom, size=win, mode="reflect")
    smooth = np.convolve(np.pad(smooth, win // 4, mode="edge"), np.ones(2 * (win // 4) + 1) / (2 * (win // 4) + 1),
                         mode="valid")
    # only a notch or a spike is corrected: a column within ``tol`` of the smooth hem keeps its own
    smooth = np.where(np.abs(bottom - smooth) <= tol, bottom, smooth)
    out = torso.copy()
    rows = np.arange(h)[:, None]
    target = np.round(smooth).astype(int)
    # cut below the smooth hem; fill a notch down to it, from the column's own lowest pixel,
    # where it is no deeper than ``max_notch`` (a strap's column above the hem is no notch)
    own = np.round(bottom).astype(int)
    fill = has & (target > own) & (target - own <= max_notch)
    out[:, x0:x1] &= rows <= target[None, :]
    out[:, x0:x1] |= (rows > own[None, :]) & (rows <= target[None, :]) & fill[None, :]
    return out


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """``mask`` with every hole (background not connected to the border) filled."""
    inv = np.pad((~mask).astype(np.uint8), 1, constant_values=1)
    ff = np.zeros((inv.shape[0] + 2, inv.shape[1] + 2), np.uint8)
    cv2.floodFill(inv, ff, (0, 0), 2)
    return mask | (inv[1:-1, 1:-1] == 1)


def tidy_layer(layer: GarmentLayer, frame: BodyFrame, max_along: float | None = None) -> GarmentLayer:
    """The layer with its torso's holes closed and its hem smoothed (see the module); with
    ``max_along`` (torso lengths below the neck), its torso ends there at the latest (a warp
    that stretched a tee over a long coat or a dress; the sleeves are left as they are)."""
    if layer.rendered is not None:
        return layer
    sw = frame.shoulder_width
    torso = layer.torso_alpha > 0.5
    if torso.sum() < 100:
        return layer
    rows, cols = np.nonzero(torso.any(axis=1))[0], np.nonzero(torso.any(axis=0))[0]
    pad = int(0.1 * sw) + 2
    h, w = torso.shape
    y0, y1 = max(0, rows[0] - pad), min(h, rows[-1] + pad + 1)
    x0, x1 = max(0, cols[0] - pad), min(w, cols[-1] + pad + 1)
    t = torso[y0:y1, x0:x1]
    r = max(1, int(round(HOLE * sw / 2)))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    closed = cv2.morphologyEx(t.astype(np.uint8), cv2.MORPH_CLOSE, k).astype(bool)
    # holes anywhere; gaps and notches open to the outside only below the chest (higher up,
    # closing would round the corners of a neckline or of straps)
    gy, gx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    along = along_body(frame, gx, gy)
    new = _fill_holes(t) | (closed & (along > LOW))
    if max_along is not None:
        new &= along <= max_along
    if abs(float(frame.down[0])) <= UPRIGHT:
        new = smooth_hem(new, int(round(HEM_WINDOW * sw)), tol=HEM_TOL * sw, max_notch=NOTCH * sw)
    sleeve = layer.sleeve_alpha[y0:y1, x0:x1] > 0.5
    new &= ~sleeve
    gained, lost = new & ~t, t & ~new
    if not gained.any() and not lost.any():
        return layer
    alpha = layer.alpha.copy()
    torso_alpha = layer.torso_alpha.copy()
    rgb = layer.rgb.copy()
    ta = torso_alpha[y0:y1, x0:x1]
    if gained.any():
        # the garment's colour continued into what it gains, from its own pixels around
        gr, gc = np.nonzero(gained.any(axis=1))[0], np.nonzero(gained.any(axis=0))[0]
        m = int(0.05 * sw) + 4
        by0, by1 = max(0, gr[0] - m), min(y1 - y0, gr[-1] + m + 1)
        bx0, bx1 = max(0, gc[0] - m), min(x1 - x0, gc[-1] + m + 1)
        known = cv2.erode(t[by0:by1, bx0:bx1].astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        win = (slice(y0 + by0, y0 + by1), slice(x0 + bx0, x0 + bx1))
        if known.any():
            field = pushpull_field(layer.rgb[win], known, max_side=256)
            g = gained[by0:by1, bx0:bx1]
            rgb[win][g] = field[g]
        ta[gained] = 1.0
    ta[lost] = 0.0
    torso_alpha[y0:y1, x0:x1] = ta
    alpha[y0:y1, x0:x1] = np.maximum(ta, layer.sleeve_alpha[y0:y1, x0:x1])
    return replace(layer, rgb=rgb, alpha=alpha, torso_alpha=torso_alpha)
