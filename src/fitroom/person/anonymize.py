"""Hiding a face: the region fitroom's own analysis found it in, pixelated.

Pixelation (blocks of about a tenth of the face's width, then a light blur) rather than a
plain blur, which can be partly undone; the region is the parse's face (and the face
outline, when the analysis has one) grown by a fifth of the face's size, so the jaw, brows
and ears are covered, with a soft edge. Hair is kept: it is not a face.
"""

from __future__ import annotations

import cv2
import numpy as np

from fitroom.labels import Cihp

__all__ = ["face_region", "hide_face"]


def face_region(pa) -> np.ndarray:
    """(H, W) bool: where the face of ``pa`` (a PersonAnalysis) is, with a margin; all False
    when the analysis found none."""
    h, w = pa.parse.shape
    m = (pa.parse == Cihp.FACE).astype(np.uint8)
    if pa.face_polygon is not None and len(pa.face_polygon) >= 3:
        cv2.fillPoly(m, [np.round(pa.face_polygon).astype(np.int32)], 1)
    if not m.any():
        return np.zeros((h, w), bool)
    x, y, bw, bh = cv2.boundingRect(m)
    r = max(2, int(round(0.2 * max(bw, bh))))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return cv2.dilate(m, k).astype(bool)


def hide_face(image: np.ndarray, region: np.ndarray) -> np.ndarray:
    """``image`` ((H, W, 3) uint8) with ``region`` pixelated (a new array; the input is not
    changed). The same image when the region is empty."""
    out = image.copy()
    if not region.any():
        return out
    x, y, bw, bh = cv2.boundingRect(region.astype(np.uint8))
    crop = image[y:y + bh, x:x + bw]
    block = max(4, int(round(max(bw, bh) / 12)))
    small = cv2.resize(crop, (max(1, bw // block), max(1, bh // block)), interpolation=cv2.INTER_AREA)
    pix = cv2.resize(small, (bw, bh), interpolation=cv2.INTER_NEAREST)
    pix = cv2.GaussianBlur(pix, (0, 0), block / 4)
    alpha = cv2.GaussianBlur(region[y:y + bh, x:x + bw].astype(np.float32), (0, 0), max(1.0, block / 3))
    alpha = np.clip(alpha * 1.5, 0, 1)[..., None]
    out[y:y + bh, x:x + bw] = np.clip(crop * (1 - alpha) + pix * alpha + 0.5, 0, 255).astype(np.uint8)
    return out
