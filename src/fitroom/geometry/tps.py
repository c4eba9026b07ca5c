"""Thin-plate-spline (TPS) warps as pure numpy functions.

Conventions
-----------
* Points are ``(K, 2)`` float arrays in **pixel coordinates, xy order** (x to the right, y
  down); pixel centres are at integer coordinates, so the image spans ``[0, W-1] x [0, H-1]``
  (``align_corners=True`` in normalised terms).
* A TPS maps *control points* to *values*: ``f(ctrl[i]) == values[i]`` (exactly when
  ``regularization == 0``) with minimal bending energy. Affine maps are reproduced exactly.
* Warping an image is done **backwards**: to place garment landmarks ``src`` onto body
  points ``dst``, fit the TPS from ``dst`` (output space) to ``src`` (input space) and sample
  the input at ``f(output pixel)``. :func:`tps_warp` does this for you.
* Fast path: the spline is evaluated on a coarse grid (``grid_step`` pixels), upsampled
  bilinearly to a dense map, and the image is resampled with one ``cv2.remap``.

Functions never modify their inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class TpsParams:
    """A fitted spline: ``f(p) = [1, p] @ affine + sum_i U(|p - ctrl_i|) * weights_i``."""

    ctrl: np.ndarray  # (K, 2) float64 control points
    weights: np.ndarray  # (K, 2) float64 radial-basis weights
    affine: np.ndarray  # (3, 2) float64 affine part


def _kernel(r2: np.ndarray) -> np.ndarray:
    """TPS radial basis U(r) = r^2 log r^2 (with U(0) = 0), from squared distances."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = r2 * np.log(r2)
    return np.where(r2 > 0, out, 0.0)


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)


def tps_fit(ctrl: np.ndarray, values: np.ndarray, regularization: float = 0.0) -> TpsParams:
    """Fit a TPS with ``f(ctrl[i]) ~= values[i]``.

    Args:
        ctrl: ``(K, 2)`` control points, K >= 3, not all collinear.
        values: ``(K, 2)`` target positions.
        regularization: >= 0; larger values trade exact interpolation for smoothness
            (0 interpolates exactly). Scaled by the mean squared control-point spread so it
            does not depend on image size.
    """
    ctrl = np.asarray(ctrl, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if ctrl.ndim != 2 or ctrl.shape[1] != 2 or values.shape != ctrl.shape:
        raise ValueError(f"ctrl and values must both be (K, 2); got {ctrl.shape} and {values.shape}")
    k = len(ctrl)
    if k < 3:
        raise ValueError(f"a thin-plate spline needs at least 3 control points, got {k}")
    if regularization < 0:
        raise ValueError("regularization must be >= 0")
    # Normalise coordinates for conditioning.
    centre = ctrl.mean(0)
    scale = np.sqrt(((ctrl - centre) ** 2).sum(1).mean()) or 1.0
    c = (ctrl - centre) / scale
    if np.linalg.matrix_rank(c, tol=1e-6) < 2:
        raise ValueError("control points are degenerate (collinear or repeated)")
    kmat = _kernel(_sq_dists(c, c)) + regularization * np.eye(k)
    p = np.hstack([np.ones((k, 1)), c])
    a = np.zeros((k + 3, k + 3))
    a[:k, :k] = kmat
    a[:k, k:] = p
    a[k:, :k] = p.T
    b = np.zeros((k + 3, 2))
    b[:k] = values
    try:
        sol = np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        sol = np.linalg.lstsq(a, b, rcond=None)[0]
    if not np.all(np.isfinite(sol)):
        raise ValueError("control points are degenerate (collinear or repeated)")
    w, aff_n = sol[:k], sol[k:]
    # Undo the normalisation: f(p) = aff_n[0] + ((p - centre)/scale) @ aff_n[1:] + U(|(p-centre)/scale - c_i|) w
    # U is not scale-invariant, so keep the normalisation inside the params instead.
    return TpsParams(ctrl=c * scale + centre, weights=w, affine=np.vstack([aff_n, [[centre[0], centre[1]], [scale, scale]]]))


def tps_transform(params: TpsParams, points: np.ndarray) -> np.ndarray:
    """Evaluate the spline at ``(M, 2)`` points; returns ``(M, 2)`` float64."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"points must be (M, 2), got {pts.shape}")
    aff = params.affine[:3]
    centre = params.affine[3]
    scale = params.affine[4, 0]
    c = (params.ctrl - centre) / scale
    q = (pts - centre) / scale
    out = aff[0] + q @ aff[1:3]
    # chunk to bound memory for dense evaluation
    step = max(1, 2_000_000 // max(1, len(c)))
    for i in range(0, len(q), step):
        out[i : i + step] += _kernel(_sq_dists(q[i : i + step], c)) @ params.weights
    return out


def tps_dense_map(params: TpsParams, out_size: tuple[int, int], grid_step: int = 8,
                  origin: tuple[int, int] = (0, 0)) -> tuple[np.ndarray, np.ndarray]:
    """Dense sampling map for ``cv2.remap``.

    The spline is evaluated on a coarse grid with ``grid_step`` pixel spacing (padded by one
    node on every side so every output pixel is interpolated, never extrapolated) and
    upsampled bilinearly with ``cv2.resize``. The nodes sit at ``j * grid_step +
    (grid_step - 1) / 2``, which is exactly where ``cv2.resize`` (half-pixel centres) puts
    them, so the upsampled map is the bilinear interpolation of the spline between nodes.

    Args:
        params: spline fitted from output-space points to input-space points.
        out_size: ``(width, height)`` of the output.
        grid_step: spacing in pixels of the coarse grid (1 = exact everywhere).
        origin: ``(x0, y0)`` of the output window, to map only part of a larger image.

    Returns:
        ``(map_x, map_y)``, each ``(height, width)`` float32: input coordinates per output pixel.
    """
    w, h = int(out_size[0]), int(out_size[1])
    if w < 1 or h < 1:
        raise ValueError(f"out_size must be positive, got {out_size}")
    if grid_step < 1:
        raise ValueError("grid_step must be >= 1")
    if grid_step == 1:
        xx, yy = np.meshgrid(np.arange(w, dtype=np.float64) + origin[0], np.arange(h, dtype=np.float64) + origin[1])
        vals = tps_transform(params, np.stack([xx.ravel(), yy.ravel()], 1)).astype(np.float32)
        return vals[:, 0].reshape(h, w), vals[:, 1].reshape(h, w)
    s = grid_step
    nx, ny = -(-w // s) + 2, -(-h // s) + 2  # ceil, plus one padding node each side
    off = (s - 1) / 2 - s
    gx = off + s * np.arange(nx) + origin[0]
    gy = off + s * np.arange(ny) + origin[1]
    xx, yy = np.meshgrid(gx, gy)
    vals = tps_transform(params, np.stack([xx.ravel(), yy.ravel()], 1)).astype(np.float32).reshape(ny, nx, 2)
    dense = cv2.resize(vals, (nx * s, ny * s), interpolation=cv2.INTER_LINEAR)[s : s + h, s : s + w]
    return np.ascontiguousarray(dense[..., 0]), np.ascontiguousarray(dense[..., 1])


def remap(image: np.ndarray, map_x: np.ndarray, map_y: np.ndarray, *, border_value: float | tuple = 0,
          interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Resample ``image`` at ``(map_x, map_y)``; pixels mapped outside get ``border_value``."""
    return cv2.remap(image, map_x, map_y, interpolation=interpolation,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=border_value)


def tps_warp(image: np.ndarray, src_points: np.ndarray, dst_points: np.ndarray, out_size: tuple[int, int], *,
             grid_step: int = 8, regularization: float = 0.0, border_value: float | tuple = 0,
             interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Warp ``image`` so that ``src_points`` (input pixels) land on ``dst_points`` (output pixels).

    Returns an array of shape ``(out_size[1], out_size[0]) + image.shape[2:]``.
    """
    params = tps_fit(dst_points, src_points, regularization)
    mx, my = tps_dense_map(params, out_size, grid_step)
    return remap(image, mx, my, border_value=border_value, interpolation=interpolation)
