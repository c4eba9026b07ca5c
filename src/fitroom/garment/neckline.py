"""The inside of a garment seen through its neckline in a product photo.

On a mannequin or laid flat, a V-neck, scoop or crew neck shows the inner back panel (often
with the label) through the front opening. It is part of the garment's silhouette but not
of its front: pasted on a body it becomes a dark bib on the chest. It is found as the
region of the neck opening that is markedly darker than the garment's own fabric (it lies in
the garment's shadow: ``DARKER`` L* below it, or, on a dark fabric, a fraction of its luminance), seen from the top edge of the silhouette between the two neck points,
and thicker than a collar band (a print's thin stripes touching it are cut off); a shallow
one (a crew neck) must be in deep shadow. Its convex hull takes in the label sewn on it.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["inner_back"]

#: lightness (CIE L*) below the fabric's from which a pixel of the neck opening is in shadow
DARKER = 10.0
#: on a dark fabric (median L* under ``DARK_FABRIC``) a few L* are already a deep shadow: a
#: pixel whose relative luminance is under ``SHADOW`` of the fabric's (and at least
#: ``MIN_DARKER`` L* below it) is in shadow too
DARK_FABRIC = 25.0
#: interquartile range of L* under which a fabric is plain (a print's own dark parts would pass)
PLAIN = 8.0
SHADOW = 0.4
MIN_DARKER = 3.0
#: an opening at least this deep (in widths) is a V or scoop; a shallower dark region (a crew
#: neck's inside) must be in deep shadow: under ``SHADOW`` of the luminance of the fabric's
#: darkest tenth (a print's dark squares at the neckline are not)
DEEP = 0.25
#: a dark region thinner than this fraction of the neck opening's width is a collar band
BAND = 0.15
#: the inside reaches this fraction of the opening's width from its thick core (a crew neck's
#: thin ends; a print's stripes that touch it are cut off there)
REACH = 0.4


def _luminance(L: np.ndarray | float) -> np.ndarray:
    """Relative luminance Y (0..1) of CIE L* (0..100)."""
    L = np.asarray(L, np.float32)
    return np.where(L > 8.0, ((L + 16.0) / 116.0) ** 3, L / 903.3)


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
    dark = L < l_fabric - DARKER
    l_ink, q1, q3 = np.percentile(L[fabric], [10, 25, 75])
    if l_fabric < DARK_FABRIC and q3 - q1 < PLAIN:  # a plain dark fabric, not a print
        dark |= (_luminance(L) < SHADOW * _luminance(l_fabric)) & (L < l_fabric - MIN_DARKER)
    dark &= m & zone
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
    rb = max(1, int(round(0.5 * BAND * neck_w)))
    rr = max(1, int(round(REACH * neck_w)))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * rb + 1, 2 * rb + 1))
    reach = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * rr + 1, 2 * rr + 1))
    for i in range(1, n):
        x, y, cw, ch, a = stats[i]
        if not (0.002 * area <= a <= 0.15 * area):
            continue
        if not (xl <= cent[i][0] <= xr):
            continue  # off the opening
        # a collar band or piping (a thin ring along the neckline) has no core thicker than
        # BAND of the opening; a print's thin stripes that touch the inside are cut off it
        # (worked on the component's box)
        bx = (slice(y, y + ch), slice(x, x + cw))
        piece = (lbl[bx] == i).astype(np.uint8)
        core = cv2.morphologyEx(piece, cv2.MORPH_OPEN, disc, borderType=cv2.BORDER_CONSTANT, borderValue=0)
        if not core.any():
            continue
        comp = np.zeros((h, w), bool)
        comp[bx] = piece.astype(bool) & cv2.dilate(core, reach).astype(bool)
        if not (comp & edge).any():
            continue  # not seen from the top: a print on the front
        if ch < DEEP * neck_w and _luminance(np.median(L[comp])) >= SHADOW * _luminance(l_ink):
            continue  # shallow and no darker than the print's own dark parts: a print
        # the label sewn on the inside is light: a hole in it, or a bay open onto the front's
        # fabric below; the convex hull (on the garment) takes it in
        hull = np.zeros((h, w), np.uint8)
        cv2.fillConvexPoly(hull, cv2.convexHull(cv2.findNonZero(comp.astype(np.uint8))), 1)
        out |= hull.astype(bool) & m
    return out
