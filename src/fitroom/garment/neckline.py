"""The inside of a garment seen through its neckline in a product photo.

On a mannequin or laid flat, a V-neck, scoop or crew neck shows the inner back panel (often
with the label) through the front opening. It is part of the garment's silhouette but not
of its front: pasted on a body it becomes a dark bib on the chest. It is found as the
region of the neck opening that is markedly darker than the garment's own fabric (it lies in
the garment's shadow), seen from the top edge of the silhouette between the two neck points,
and taller than a collar band.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["inner_back"]

#: lightness (CIE L*) below the fabric's from which a pixel of the neck opening is in shadow
DARKER = 10.0


def inner_back(image: np.ndarray, mask: np.ndarray, landmarks) -> np.ndarray:
    """(H, W) bool: the inside of the garment visible through its neckline (empty if none).

    ``image``: (H, W, 3) uint8 RGB product photo; ``mask``: (H, W) bool garment silhouette;
    ``landmarks``: its :class:`~fitroom.garment.landmarks.GarmentLandmarks` (the neck points
    bound the opening)."""
    m = np.asarray(mask, bool)
    h, w = m.shape
    empty = np.zeros((h, w), bool)
    nl, nr = np.asarray(landmarks.neck_left, float), np.asarray(landmarks.neck_right, float)
    xl, xr = min(nl[0], nr[0]), max(nl[0], nr[0])
    neck_w = xr - xl
    ys_m = np.nonzero(m.any(axis=1))[0]
    if neck_w < 8 or len(ys_m) == 0:
        return empty
    top, bottom = int(ys_m[0]), int(ys_m[-1])
    neck_y = min(nl[1], nr[1])
    x0, x1 = int(max(0, xl - 0.1 * neck_w)), int(min(w, xr + 0.1 * neck_w + 1))
    y1 = int(min(bottom, neck_y + 1.2 * neck_w))
    if y1 <= top + 2 or x1 <= x0 + 2:
        return empty
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    L = lab[..., 0] * (100.0 / 255.0)
    # the fabric: the middle of the torso, below the armpits
    ya = int(max(landmarks.armpit_left[1], landmarks.armpit_right[1]))
    band = np.zeros((h, w), bool)
    band[ya:int(ya + 0.5 * (bottom - ya)) + 1, int(xl):int(xr) + 1] = True
    fabric = m & band
    if fabric.sum() < 50:
        return empty
    l_fabric = float(np.median(L[fabric]))
    zone = np.zeros((h, w), bool)
    zone[top:y1, x0:x1] = True
    dark = m & zone & (L < l_fabric - DARKER)
    r = max(1, int(round(0.03 * neck_w)))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    dark = cv2.morphologyEx(dark.astype(np.uint8), cv2.MORPH_OPEN, k)
    dark = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, k).astype(bool) & m
    n, lbl, stats, cent = cv2.connectedComponentsWithStats(dark.astype(np.uint8), connectivity=8)
    # pixels on the silhouette's top edge (nothing of the garment above them)
    above = np.zeros((h, w), bool)
    above[1:] = ~m[:-1]
    above[0] = True
    # (within a few pixels: the silhouette's outermost pixels blend with the backdrop)
    edge = cv2.dilate((m & above).astype(np.uint8), np.ones((2 * r + 3, 2 * r + 3), np.uint8)).astype(bool)
    out = empty.copy()
    area = m.sum()
    for i in range(1, n):
        comp = lbl == i
        x, y, cw, ch, a = stats[i]
        if not (0.002 * area <= a <= 0.15 * area):
            continue
        if ch < 0.25 * neck_w or not (xl <= cent[i][0] <= xr):
            continue  # a collar band or piping, or off the opening
        if not (comp & edge).any():
            continue  # not seen from the top: a print on the front
        out |= comp
    return out
