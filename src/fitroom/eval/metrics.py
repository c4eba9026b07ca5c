"""Image and segmentation metrics: SSIM, PSNR, mask IoU, per-class parse IoU, confusion matrix.

Pure functions on numpy arrays; inputs are never modified. Images are ``(H, W, 3)`` uint8
RGB (greyscale ``(H, W)`` uint8 is also accepted by :func:`ssim` and :func:`psnr`),
masks ``(H, W)`` bool (any non-zero value counts as foreground), parse maps ``(H, W)``
integer class ids (CIHP: 0..19).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from fitroom.imaging.masks import mask_iou  # one implementation, re-exported here
from skimage.metrics import structural_similarity

__all__ = ["confusion_matrix", "detail_ratio", "mask_iou", "parse_iou", "psnr", "ssim", "ssim_map"]

#: Gaussian window of the VITON-paper SSIM: sigma 1.5, truncated at 3.5 sigma -> 11 x 11
SSIM_SIGMA = 1.5
_SSIM_WIN = 2 * int(3.5 * SSIM_SIGMA + 0.5) + 1


def _check_images(a: np.ndarray, b: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a), np.asarray(b)
    for arr, which in ((a, "first"), (b, "second")):
        if arr.dtype != np.uint8:
            raise ValueError(f"{name}: the {which} image must be uint8 (0-255), got {arr.dtype}")
        if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
            raise ValueError(f"{name}: expected an (H, W, 3) or (H, W) image, got shape {arr.shape}")
    if a.shape != b.shape:
        raise ValueError(f"{name}: images differ in shape: {a.shape} vs {b.shape}")
    if a.size == 0:
        raise ValueError(f"{name}: images are empty (shape {a.shape})")
    return a, b


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Structural similarity of two uint8 images, in [-1, 1] (1 for identical images).

    The convention of the original SSIM paper (Wang et al. 2004) that try-on papers
    report (VITON and its successors): an 11 x 11 Gaussian window with sigma 1.5,
    population (not sample) covariance, ``data_range=255``, computed per RGB channel and averaged:
    ``skimage.metrics.structural_similarity(a, b, channel_axis=2, data_range=255,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False)``.

    Raises ValueError unless both are uint8 of the same ``(H, W, 3)`` or ``(H, W)`` shape,
    at least 11 x 11 pixels.
    """
    a, b = _check_images(a, b, "ssim")
    if min(a.shape[:2]) < _SSIM_WIN:
        raise ValueError(f"ssim: images must be at least {_SSIM_WIN}x{_SSIM_WIN} pixels, got {a.shape[:2]}")
    value = structural_similarity(
        a,
        b,
        channel_axis=2 if a.ndim == 3 else None,
        data_range=255,
        gaussian_weights=True,
        sigma=SSIM_SIGMA,
        use_sample_covariance=False,
    )
    return float(value)


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The local SSIM of :func:`ssim` at every pixel, ``(H, W)`` float (averaged over RGB).

    Its mean over a region (e.g. the ground truth's garment) says where an image differs;
    its mean over the whole image is close to, not equal to, :func:`ssim` (which leaves out a
    5-pixel border)."""
    a, b = _check_images(a, b, "ssim_map")
    if min(a.shape[:2]) < _SSIM_WIN:
        raise ValueError(f"ssim_map: images must be at least {_SSIM_WIN}x{_SSIM_WIN} pixels, got {a.shape[:2]}")
    _, m = structural_similarity(a, b, channel_axis=2 if a.ndim == 3 else None, data_range=255,
                                 gaussian_weights=True, sigma=SSIM_SIGMA, use_sample_covariance=False, full=True)
    return m.mean(axis=2) if m.ndim == 3 else m


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two uint8 images: ``10 log10(255^2 / MSE)``.

    The MSE is taken over all pixels and channels (in float64). Identical images have
    MSE 0 and return ``float('inf')`` (not a capped value): callers averaging over a
    dataset should decide how to treat that case explicitly.

    Raises ValueError unless both are uint8 of the same ``(H, W, 3)`` or ``(H, W)`` shape.
    """
    a, b = _check_images(a, b, "psnr")
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(255.0**2 / mse)


def detail_ratio(result: np.ndarray, truth: np.ndarray, mask: np.ndarray, erode: int = 2) -> float | None:
    """How much of the ground truth's fine detail (prints, seams, texture) a result keeps
    inside ``mask`` (e.g. the worn garment): the variance of the Laplacian of the result's
    luminance over that of the truth, on ``mask`` eroded by ``erode`` px (its outline is
    not detail). 1: as much detail as the truth; < 1: smoothed (a blurry generator); > 1:
    more high frequencies than the truth (hard edges, noise). SSIM and PSNR reward blur;
    this measure shows it. None when the mask has fewer than 64 pixels or the truth has
    no detail there.
    """
    import cv2

    result, truth = _check_images(result, truth, "detail_ratio")
    m = np.asarray(mask).astype(bool)
    if m.shape != result.shape[:2]:
        raise ValueError(f"detail_ratio: mask shape {m.shape} differs from the images' {result.shape[:2]}")
    if erode > 0:
        m = cv2.erode(m.astype(np.uint8), np.ones((2 * erode + 1, 2 * erode + 1), np.uint8)).astype(bool)
    if m.sum() < 64:
        return None

    def lap_var(img: np.ndarray) -> float:
        g = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        return float(cv2.Laplacian(g.astype(np.float32), cv2.CV_32F)[m].var())

    t = lap_var(truth)
    return None if t < 1e-6 else lap_var(result) / t


def _check_maps(a: np.ndarray, b: np.ndarray, name: str, what: str) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"{name}: expected two (H, W) {what}, got shapes {a.shape} and {b.shape}")
    if a.shape != b.shape:
        raise ValueError(f"{name}: {what} differ in shape: {a.shape} vs {b.shape}")
    return a, b


def _check_labels(a: np.ndarray, name: str) -> None:
    if not (np.issubdtype(a.dtype, np.integer) or a.dtype == bool):
        raise ValueError(f"{name}: label maps must hold integer class ids, got dtype {a.dtype}")


def parse_iou(pred: np.ndarray, gt: np.ndarray, labels: Iterable[int] | None = None) -> dict[int, float | None]:
    """Per-class IoU of two ``(H, W)`` label maps (e.g. CIHP parse maps).

    ``labels`` are the class ids to score (``Cihp`` members work; keys are plain ints);
    None scores every class present in either map. A class absent from both maps has
    IoU None (undefined, to be left out of a mean); a class in only one map has IoU 0.
    """
    pred, gt = _check_maps(pred, gt, "parse_iou", "label maps")
    _check_labels(pred, "parse_iou")
    _check_labels(gt, "parse_iou")
    if labels is None:
        ids = sorted(set(np.unique(pred).tolist()) | set(np.unique(gt).tolist()))
    else:
        ids = [int(c) for c in labels]
    out: dict[int, float | None] = {}
    for c in ids:
        p, g = pred == c, gt == c
        union = int(np.count_nonzero(p | g))
        out[c] = None if union == 0 else int(np.count_nonzero(p & g)) / union
    return out


def confusion_matrix(pred: np.ndarray, gt: np.ndarray, n: int = 20) -> np.ndarray:
    """``(n, n)`` int64 pixel counts: ``m[i, j]`` = pixels of true class i predicted as j.

    Rows are ground truth, columns prediction (the scikit-learn convention); ``n=20`` fits
    CIHP. Raises ValueError for ids outside ``0..n-1``.
    """
    pred, gt = _check_maps(pred, gt, "confusion_matrix", "label maps")
    _check_labels(pred, "confusion_matrix")
    _check_labels(gt, "confusion_matrix")
    if n < 1:
        raise ValueError(f"confusion_matrix: n must be at least 1, got {n}")
    p, g = pred.astype(np.int64).ravel(), gt.astype(np.int64).ravel()
    for arr, which in ((p, "prediction"), (g, "ground truth")):
        if arr.size and (arr.min() < 0 or arr.max() >= n):
            raise ValueError(
                f"confusion_matrix: {which} has class ids {int(arr.min())}..{int(arr.max())}, outside 0..{n - 1}"
            )
    return np.bincount(g * n + p, minlength=n * n).reshape(n, n).astype(np.int64)
