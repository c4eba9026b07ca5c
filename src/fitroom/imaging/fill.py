"""Smooth hole filling ("push-pull"): fill unknown pixels from known ones only."""

from __future__ import annotations

import cv2
import numpy as np


def pushpull_fill(image: np.ndarray, known: np.ndarray, min_side: int = 4, max_side: int = 512) -> np.ndarray:
    """Fill pixels where ``known`` is False with a smooth interpolation of known pixels.

    Only known pixels contribute, so nothing of the unknown region leaks into the result.
    Works on (H, W) or (H, W, C) arrays; returns float32. Known pixels are returned unchanged.
    The pyramid starts at a long side of at most ``max_side`` (the fill is smooth anyway).
    """
    img = image.astype(np.float32)
    if img.ndim == 2:
        img = img[..., None]
    k = known.astype(np.float32)[..., None]
    h0, w0 = img.shape[:2]
    f = max(h0, w0) / max_side
    if f > 1:
        size = (max(1, round(w0 / f)), max(1, round(h0 / f)))
        v0 = cv2.resize(img * k, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1)
        k0 = cv2.resize(k, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], 1)
        pyr = [(v0, k0)]
    else:
        pyr = [(img * k, k)]
    while min(pyr[-1][1].shape[:2]) > min_side:
        v, wgt = pyr[-1]
        hh, ww = v.shape[:2]
        size = (max(1, ww // 2), max(1, hh // 2))
        v2 = cv2.resize(v, size, interpolation=cv2.INTER_AREA)
        w2 = cv2.resize(wgt, size, interpolation=cv2.INTER_AREA)
        if v2.ndim == 2:
            v2 = v2[..., None]
        if w2.ndim == 2:
            w2 = w2[..., None]
        pyr.append((v2, w2))
    v, wgt = pyr[-1]
    total = wgt.sum()
    mean = (v.sum((0, 1)) / total) if total > 0 else np.zeros(img.shape[2], np.float32)
    cur = np.where(wgt > 1e-6, v / np.maximum(wgt, 1e-6), mean)
    for v, wgt in reversed(pyr[:-1]):
        hh, ww = v.shape[:2]
        up = cv2.resize(cur, (ww, hh), interpolation=cv2.INTER_LINEAR)
        if up.ndim == 2:
            up = up[..., None]
        a = np.clip(wgt, 0, 1)
        est = np.where(wgt > 1e-6, v / np.maximum(wgt, 1e-6), 0)
        cur = a * est + (1 - a) * up
    if cur.shape[:2] != (h0, w0):
        cur = cv2.resize(cur, (w0, h0), interpolation=cv2.INTER_LINEAR).reshape(h0, w0, -1)
    out = np.where(known[..., None], img, cur)
    return out[..., 0] if image.ndim == 2 else out
