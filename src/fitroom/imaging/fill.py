"""Smooth hole filling ("push-pull"): fill unknown pixels from known ones only."""

from __future__ import annotations

import cv2
import numpy as np


def _as3(a: np.ndarray) -> np.ndarray:
    return a if a.ndim == 3 else a[..., None]


def pushpull_field(image: np.ndarray, known: np.ndarray, *, box: tuple[int, int, int, int] | None = None,
                   min_side: int = 4, max_side: int = 512) -> np.ndarray:
    """The smooth field interpolating ``image`` from its ``known`` pixels, as float32.

    A pyramid of premultiplied averages (push), then coarse-to-fine filling (pull). Only
    known pixels contribute, so nothing of the unknown region leaks. The pyramid starts at
    a long side of at most ``max_side`` (the field is smooth anyway); the field is returned
    at full resolution, only for ``box`` = (x0, y0, x1, y1) when given.
    """
    img = _as3(image.astype(np.float32))
    k = known.astype(np.float32)[..., None]
    h0, w0 = img.shape[:2]
    f = max(h0, w0) / max_side
    if f > 1:
        size = (max(1, round(w0 / f)), max(1, round(h0 / f)))
        pyr = [(_as3(cv2.resize(img * k, size, interpolation=cv2.INTER_AREA)),
                _as3(cv2.resize(k, size, interpolation=cv2.INTER_AREA)))]
    else:
        pyr = [(img * k, k)]
    while min(pyr[-1][1].shape[:2]) > min_side:
        v, wgt = pyr[-1]
        hh, ww = v.shape[:2]
        size = (max(1, ww // 2), max(1, hh // 2))
        pyr.append((_as3(cv2.resize(v, size, interpolation=cv2.INTER_AREA)),
                    _as3(cv2.resize(wgt, size, interpolation=cv2.INTER_AREA))))
    v, wgt = pyr[-1]
    total = wgt.sum()
    mean = (v.sum((0, 1)) / total) if total > 0 else np.zeros(img.shape[2], np.float32)
    cur = np.where(wgt > 1e-6, v / np.maximum(wgt, 1e-6), mean)
    for v, wgt in reversed(pyr[:-1]):
        hh, ww = v.shape[:2]
        up = _as3(cv2.resize(cur, (ww, hh), interpolation=cv2.INTER_LINEAR))
        a = np.clip(wgt, 0, 1)
        est = np.where(wgt > 1e-6, v / np.maximum(wgt, 1e-6), 0)
        cur = a * est + (1 - a) * up
    x0, y0, x1, y1 = box if box is not None else (0, 0, w0, h0)
    if cur.shape[:2] != (h0, w0):
        # resize the coarse field, then crop: cv2.resize maps pixel centres, so resizing the
        # whole field and cropping equals sampling it at the box's pixels
        sx, sy = cur.shape[1] / w0, cur.shape[0] / h0
        m = np.array([[sx, 0, (x0 + 0.5) * sx - 0.5], [0, sy, (y0 + 0.5) * sy - 0.5]], np.float32)
        cur = _as3(cv2.warpAffine(cur, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_REPLICATE))
    else:
        cur = cur[y0:y1, x0:x1]
    out = cur.astype(np.float32)
    return out[..., 0] if image.ndim == 2 else out


def pushpull_fill(image: np.ndarray, known: np.ndarray, min_side: int = 4, max_side: int = 512) -> np.ndarray:
    """Fill pixels where ``known`` is False with a smooth interpolation of known pixels.

    Works on (H, W) or (H, W, C) arrays; returns float32. Known pixels are returned
    unchanged; nothing of the unknown pixels reaches the result.
    """
    field = pushpull_field(image, known, min_side=min_side, max_side=max_side)
    k = known if image.ndim == 2 else known[..., None]
    return np.where(k, image.astype(np.float32), field)
