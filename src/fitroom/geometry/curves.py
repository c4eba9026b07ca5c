"""Smooth curves through points (pure numpy)."""

from __future__ import annotations

import numpy as np


def catmull_rom(points: np.ndarray, n: int = 12) -> np.ndarray:
    """A uniform Catmull-Rom spline through ``(K, 2)`` points, ``n`` samples per segment.

    Passes through every point (the end points are kept; the ends are extended by mirroring
    the neighbouring point). Returns ``((K - 1) * n + 1, 2)`` float64.
    """
    p = np.asarray(points, float)
    if p.ndim != 2 or len(p) < 2:
        raise ValueError(f"need at least two (x, y) points, got shape {p.shape}")
    ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    t = np.linspace(0.0, 1.0, n, endpoint=False)[:, None]
    out = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3))
    out.append(p[-1:])
    return np.concatenate(out, 0)
