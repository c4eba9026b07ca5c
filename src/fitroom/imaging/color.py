"""Colour conversions on ``HxWx3`` ``uint8`` sRGB images (OpenCV, D65 white)."""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["lab_to_rgb", "luminance", "rgb_to_lab"]


def _as_rgb(img: np.ndarray) -> np.ndarray:
    arr = np.asarray(img)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ValueError(f"expected an HxWx3 uint8 RGB image, got {arr.shape} {arr.dtype}")
    return arr


def rgb_to_lab(img: np.ndarray) -> np.ndarray:
    """sRGB ``uint8`` HxWx3 -> CIELAB ``float32`` HxWx3: L in 0..100, a and b in about -128..127."""
    rgb = _as_rgb(img).astype(np.float32) / 255.0
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """CIELAB HxWx3 (as from :func:`rgb_to_lab`) -> sRGB ``uint8``; out-of-gamut values clip."""
    arr = np.asarray(lab, dtype=np.float32)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 Lab array, got shape {arr.shape}")
    rgb = cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_Lab2RGB)
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


def luminance(img: np.ndarray) -> np.ndarray:
    """Rec.601 luma ``0.299 R + 0.587 G + 0.114 B`` of the gamma-encoded sRGB values.

    ``uint8`` HxWx3 -> ``float32`` HxW in ``[0, 1]`` (not linear-light luminance).
    """
    rgb = _as_rgb(img).astype(np.float32) / 255.0
    luma = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.clip(luma, 0.0, 1.0)
