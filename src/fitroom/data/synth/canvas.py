"""A painter's-algorithm canvas that keeps the parse map and the DensePose map in step.

Every layer is painted with an anti-aliased coverage in [0, 1] inside a region of interest;
the colour is blended by coverage and the label (and DensePose part/uv) is set where the
coverage is at least one half, so the parse map is exactly what was drawn last.

DensePose encoding (``image-densepose``): ``R = 10 * I`` with ``I`` the DensePose part index
(0 background, 1..24 as in DensePose: 2 torso front, 3 right hand, 4 left hand, 7/8 upper leg
right/left, 11/12 lower leg right/left, 15/16 upper arm left/right, 19/20 lower arm
left/right, 23 head), ``G = round(255 * U)``, ``B = round(255 * V)`` with (U, V) in [0, 1]
the part's surface coordinates (along and across a limb; across and down the torso and head).
"""

from __future__ import annotations

import numpy as np


class DP:
    """DensePose part indices used by the renderer."""

    TORSO = 2
    RIGHT_HAND = 3
    LEFT_HAND = 4
    UPPER_LEG_RIGHT = 7
    UPPER_LEG_LEFT = 8
    LOWER_LEG_RIGHT = 11
    LOWER_LEG_LEFT = 12
    UPPER_ARM_LEFT = 15
    UPPER_ARM_RIGHT = 16
    LOWER_ARM_LEFT = 19
    LOWER_ARM_RIGHT = 20
    HEAD = 23


class Canvas:
    def __init__(self, rgb: np.ndarray) -> None:
        self.rgb = rgb  # (H, W, 3) float32 in [0, 1]
        h, w = rgb.shape[:2]
        self.parse = np.zeros((h, w), np.uint8)
        self.dp = np.zeros((h, w, 3), np.uint8)

    def paint(self, roi, cov: np.ndarray, colour, *, shade: np.ndarray | None = None, label: int | None = None,
              dp: tuple | None = None) -> np.ndarray:
        """Blend ``colour`` (RGB triple or (h, w, 3) array) by ``cov`` inside ``roi``; return the label mask."""
        x0, y0, x1, y1 = roi
        col = np.asarray(colour, np.float32)
        if col.ndim == 1:
            col = col[None, None, :]
        if shade is not None:
            col = col * shade[..., None]
        view = self.rgb[y0:y1, x0:x1]
        view += (col - view) * cov[..., None]
        m = cov >= 0.5
        if label is not None:
            self.parse[y0:y1, x0:x1][m] = label
        if dp is not None:
            part, u, v = dp
            enc = np.empty(m.shape + (3,), np.uint8)
            enc[..., 0] = np.asarray(part, np.uint8) * 10 if np.ndim(part) else int(part) * 10
            enc[..., 1] = np.clip(u * 255 + 0.5, 0, 255).astype(np.uint8)
            enc[..., 2] = np.clip(v * 255 + 0.5, 0, 255).astype(np.uint8)
            self.dp[y0:y1, x0:x1][m] = enc[m]
        return m
