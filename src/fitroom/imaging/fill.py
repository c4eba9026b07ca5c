"""Smooth hole filling ("push-pull"): fill unknown pixels from known ones only."""

from __future__ import annotations

import cv2
import numpy as np


def pushpull_fill(image: np.ndarray, known: np.ndarray, min_side: int = 4) -> np.ndarray:
    """Fill pixels where ``known`` is False with a smooth interpolation of known pixels.

    Only known pixels contribute, so nothing of the unknown region leaks into the result.
    Works on (H, W) or (H, W, C) arrays; returns float32. Known pixels are returned unchanged.
    """
    img = image.astype(np.float32)
    if img.ndim == 2:
        img = img[..., None]
    k = known.astype(np.float32)[..., None]
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
    out = np.where(known[..., None], img, cur)
    return out[..., 0] if image.ndim == 2 else out
