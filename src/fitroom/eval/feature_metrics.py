"""Perceptual and distribution metrics: MS-SSIM, FID, KID, LPIPS, and their feature extractors.

* :func:`ms_ssim` -- multi-scale SSIM of two ``(H, W, 3)`` uint8 images (numpy/scipy).
* :func:`frechet_distance`, :func:`fid_from_features`, :func:`kid_from_features` -- the
  distribution distances on feature vectors ``(N, D)`` (pytorch-fid / torch-fidelity maths).
* :class:`InceptionFeatures` -- pytorch-fid's FID InceptionV3 (2048-d pool features), loading
  ``pt_inception-2015-12-05-6726825d.pth`` from a local file.
* :class:`LPIPS` -- the learned perceptual metric of Zhang et al. 2018 (v0.1), AlexNet or
  VGG16 backbone, loading local weights.
* :func:`metric_availability` -- which of LPIPS / FID / KID an evaluation run can compute.

Nothing here downloads anything. A missing or unusable weights file raises
:class:`MetricWeightsError` (a :class:`~fitroom.errors.FitroomError`); a metric is never
approximated with other weights.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy import linalg, ndimage
from torch import Tensor, nn

from fitroom.errors import FitroomError

__all__ = [
    "LPIPS",
    "MS_SSIM_WEIGHTS",
    "InceptionFeatures",
    "MetricWeightsError",
    "fid_from_features",
    "frechet_distance",
    "kid_from_features",
    "metric_availability",
    "ms_ssim",
]


class MetricWeightsError(FitroomError, FileNotFoundError):
    """The weights file a learned metric (LPIPS, FID/KID Inception) needs is missing or unusable."""

    code = "missing_weights"


# =========================================================================== MS-SSIM
#: Wang, Simoncelli & Bovik 2003, "Multi-scale structural similarity for image quality assessment"
MS_SSIM_WEIGHTS: tuple[float, ...] = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
_WIN, _SIGMA, _K1, _K2, _L = 11, 1.5, 0.01, 0.03, 255.0


def _ssim_terms(x: np.ndarray, y: np.ndarray, win: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean SSIM and mean contrast-structure of (H, W, C) float64 images."""
    r = (_WIN - 1) // 2

    def blur(t: np.ndarray) -> np.ndarray:  # separable Gaussian, "valid" part only (no padding)
        t = ndimage.correlate1d(t, win, axis=0, mode="constant")[r:-r]
        return ndimage.correlate1d(t, win, axis=1, mode="constant")[:, r:-r]

    c1, c2 = (_K1 * _L) ** 2, (_K2 * _L) ** 2
    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    lum = (2 * mx * my + c1) / (mx * mx + my * my + c1)
    return (lum * cs).mean(axis=(0, 1)), cs.mean(axis=(0, 1))


def ms_ssim(a: np.ndarray, b: np.ndarray, *, scales: int | None = None) -> float:
    """Multi-scale SSIM of two ``(H, W, 3)`` uint8 RGB images, in [0, 1] (1 for identical images).

    Wang et al. 2003: at each scale an 11 x 11 Gaussian window (sigma 1.5, no padding),
    population covariance, ``data_range=255`` (K1 0.01, K2 0.03); the contrast-structure term
    ``cs`` at scales 1..M-1 and the full SSIM (luminance x cs) at the last scale M, combined as
    ``prod_j cs_j^w_j * ssim_M^w_M`` with the weights :data:`MS_SSIM_WEIGHTS`. Between scales
    the image is 2 x 2 average-pooled (an odd last row/column is dropped). Each term is the
    spatial mean per channel, clamped at 0 (as pytorch-msssim does, so a fractional power of a
    negative value never occurs); the result is the mean over the three channels.

    Small images: the full five scales need both sides >= 176 pixels (11 x 2^4). When fewer
    scales fit (``floor(side / 2^(M-1)) >= 11``), the first M weights are used, renormalised
    to sum to 1; a single scale (sides 11..21) is therefore exactly the per-channel-mean SSIM
    of :func:`fitroom.eval.metrics.ssim`. ``scales`` (1..5) forces fewer scales.

    Raises ValueError unless both are uint8 ``(H, W, 3)`` of equal shape, at least 11 x 11.
    """
    a, b = np.asarray(a), np.asarray(b)
    for arr, which in ((a, "first"), (b, "second")):
        if arr.dtype != np.uint8:
            raise ValueError(f"ms_ssim: the {which} image must be uint8 (0-255), got {arr.dtype}")
        if arr.ndim != 3 or arr.shape[2] != 3:
            raise ValueError(f"ms_ssim: expected an (H, W, 3) image, got shape {arr.shape}")
    if a.shape != b.shape:
        raise ValueError(f"ms_ssim: images differ in shape: {a.shape} vs {b.shape}")
    side = min(a.shape[:2])
    if side < _WIN:
        raise ValueError(f"ms_ssim: images must be at least {_WIN}x{_WIN} pixels, got {a.shape[:2]}")
    fit = 1
    while fit < len(MS_SSIM_WEIGHTS) and side // 2**fit >= _WIN:
        fit += 1
    if scales is not None:
        if not 1 <= scales <= len(MS_SSIM_WEIGHTS):
            raise ValueError(f"ms_ssim: scales must be 1..{len(MS_SSIM_WEIGHTS)}, got {scales}")
        if scales > fit:
            raise ValueError(f"ms_ssim: {scales} scales need both sides >= {_WIN * 2 ** (scales - 1)}, got {a.shape[:2]}")
        fit = scales
    w = np.asarray(MS_SSIM_WEIGHTS[:fit], dtype=np.float64)
    w = w / w.sum()

    coords = np.arange(_WIN, dtype=np.float64) - (_WIN - 1) / 2
    win = np.exp(-(coords**2) / (2 * _SIGMA**2))
    win = win / win.sum()
    x, y = a.astype(np.float64), b.astype(np.float64)
    value = np.ones(3, dtype=np.float64)
    for j in range(fit):
        s, cs = _ssim_terms(x, y, win)
        term = s if j == fit - 1 else cs
        value = value * np.clip(term, 0.0, None) ** float(w[j])
        if j < fit - 1:  # 2 x 2 average pool, dropping an odd last row / column
            h, wd = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
            x = x[:h, :wd].reshape(h // 2, 2, wd // 2, 2, 3).mean(axis=(1, 3))
            y = y[:h, :wd].reshape(h // 2, 2, wd // 2, 2, 3).mean(axis=(1, 3))
    return float(value.mean())


# =========================================================================== FID / KID maths
def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """Fréchet distance of two Gaussians ``N(mu1, sigma1)`` and ``N(mu2, sigma2)``:
    ``||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))``.

    As pytorch-fid's ``calculate_frechet_distance``: the matrix square root is
    ``scipy.linalg.sqrtm``; if it is not finite (a singular product), ``eps`` is added to the
    diagonals of both covariances and it is recomputed; a complex result whose diagonal has
    imaginary parts above 1e-3 raises ValueError, smaller ones are dropped (numerical noise).
    ``mu`` are ``(D,)`` vectors, ``sigma`` ``(D, D)`` matrices (scalars are taken as D = 1).
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, dtype=np.float64)), np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64)), np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    if mu1.shape != mu2.shape or mu1.ndim != 1:
        raise ValueError(f"frechet_distance: mean vectors have different or bad shapes {mu1.shape}, {mu2.shape}")
    d = mu1.shape[0]
    if s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(f"frechet_distance: covariances must be ({d}, {d}), got {s1.shape} and {s2.shape}")
    diff = mu1 - mu2
    with warnings.catch_warnings():  # a singular product is handled just below
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(s1.dot(s2))
    if not np.isfinite(covmean).all():
        offset = np.eye(d) * eps
        covmean = linalg.sqrtm((s1 + offset).dot(s2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            m = float(np.max(np.abs(covmean.imag)))
            raise ValueError(f"frechet_distance: the covariance product has a complex square root (imaginary part {m:.3g})")
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean))


def _features(f, name: str) -> np.ndarray:
    f = np.asarray(f, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"{name}: features must be an (N, D) array with N >= 2, got shape {f.shape}")
    if not np.isfinite(f).all():
        raise ValueError(f"{name}: features contain NaN or infinite values")
    return f


def fid_from_features(f1, f2) -> float:
    """FID of two feature sets ``(N1, D)`` and ``(N2, D)`` (e.g. :class:`InceptionFeatures`
    outputs): the Fréchet distance of their means and sample covariances (``np.cov``,
    ``rowvar=False``, N - 1 normalisation, as pytorch-fid). Same set -> ~0."""
    f1, f2 = _features(f1, "fid_from_features"), _features(f2, "fid_from_features")
    if f1.shape[1] != f2.shape[1]:
        raise ValueError(f"fid_from_features: feature sizes differ: {f1.shape[1]} vs {f2.shape[1]}")
    return frechet_distance(f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False))


def kid_from_features(f1, f2, *, subsets: int = 100, subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """KID (Bińkowski et al. 2018) of two feature sets: ``(mean, std)`` over ``subsets`` random
    subsets of the unbiased MMD^2 with the cubic polynomial kernel ``k(x, y) = (x.y / D + 1)^3``.

    As torch-fidelity's ``kid_features_to_metric``: each subset draws ``subset_size`` rows of
    each set without replacement (``np.random.RandomState(seed)``); std is ``np.std``
    (population). Unlike torch-fidelity (which refuses), a ``subset_size`` larger than either
    set is reduced to the smaller set's size, so small evaluation sets still get a value.
    Identical distributions give ~0 (the estimate is unbiased, so it can be slightly negative).
    """
    f1, f2 = _features(f1, "kid_from_features"), _features(f2, "kid_from_features")
    if f1.shape[1] != f2.shape[1]:
        raise ValueError(f"kid_from_features: feature sizes differ: {f1.shape[1]} vs {f2.shape[1]}")
    if subsets < 1 or subset_size < 2:
        raise ValueError(f"kid_from_features: need subsets >= 1 and subset_size >= 2, got {subsets}, {subset_size}")
    m = min(subset_size, f1.shape[0], f2.shape[0])
    d = f1.shape[1]
    rng = np.random.RandomState(seed)
    mmds = np.zeros(subsets)
    for i in range(subsets):
        x = f1[rng.choice(len(f1), m, replace=False)]
        y = f2[rng.choice(len(f2), m, replace=False)]
        a = (x @ x.T / d + 1) ** 3 + (y @ y.T / d + 1) ** 3
        bxy = (x @ y.T / d + 1) ** 3
        mmds[i] = ((a.sum() - np.diag(a).sum()) / (m - 1) - bxy.sum() * 2 / m) / m
    return float(mmds.mean()), float(mmds.std())


# =========================================================================== weight files
def _load_state_dict(path: str | Path | None, what: str, need: str, flag: str) -> tuple[Path, dict[str, Tensor]]:
    """Read a local ``.pth``/``.safetensors`` state dict or raise MetricWeightsError."""
    p = Path(path) if path else None
    if p is None or not p.is_file():
        where = "no path was given" if p is None else f"there is no file at {p}"
        raise MetricWeightsError(
            f"{what} needs {need} as a local file, but {where}; copy the file onto this machine and "
            f"pass its path ({flag} PATH). fitroom never downloads weights."
        )
    try:
        if p.suffix == ".safetensors":
            from safetensors.torch import load_file

            sd = load_file(str(p))
        else:
            sd = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise MetricWeightsError(f"{p} could not be read as a PyTorch state dict for {what} ({need}): {e}") from e
    if isinstance(sd, dict) and isinstance(sd.get("state_dict"), dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict) or not all(isinstance(v, Tensor) for v in sd.values()):
        raise MetricWeightsError(f"{p} is not a state dict of tensors; {what} needs {need}.")
    return p, sd


def _load_into(module: nn.Module, sd: dict[str, Tensor], path: Path, what: str, need: str, hint: str) -> None:
    own = {k: v for k, v in module.state_dict().items() if not k.endswith("num_batches_tracked")}
    missing = [k for k in own if k not in sd]
    if missing:
        raise MetricWeightsError(
            f"{path} is not {need}: it lacks {missing[:3]}{' ...' if len(missing) > 3 else ''} "
            f"({len(missing)} of {len(own)} keys; expected {hint}). {what} is not computed with other weights."
        )
    bad = [f"{k} {tuple(sd[k].shape)} != {tuple(v.shape)}" for k, v in own.items() if sd[k].shape != v.shape]
    if bad:
        raise MetricWeightsError(f"{path} does not match the layer shapes {what} needs ({need}): {bad[:3]}")
    module.load_state_dict({k: sd[k] for k in own}, strict=False)


def _images_to_tensor(images) -> Tensor:
    """uint8 ``(H,W,3)`` / ``(N,H,W,3)`` arrays (or a list of them) -> float [N,3,H,W] in [0, 1];
    a float tensor [N,3,H,W] is passed through (taken to be in [0, 1])."""
    if isinstance(images, Tensor):
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"expected a [N,3,H,W] tensor, got {tuple(images.shape)}")
        return images.float()
    if isinstance(images, (list, tuple)):
        images = np.stack([np.asarray(i) for i in images])
    arr = np.asarray(images)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.dtype != np.uint8 or arr.ndim != 4 or arr.shape[-1] != 3:
        raise ValueError(f"expected uint8 (H, W, 3) images, got dtype {arr.dtype} shape {arr.shape}")
    return torch.from_numpy(np.ascontiguousarray(arr)).permute(0, 3, 1, 2).float() / 255.0


# =========================================================================== Inception (FID)
class _BasicConv2d(nn.Module):
    def __init__(self, cin: int, cout: int, **kw):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kw)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)))


def _tf_avg_pool(x: Tensor) -> Tensor:
    # TensorFlow's average pool leaves the zero padding out of the mean
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class _InceptionA(nn.Module):  # pytorch-fid FIDInceptionA
    def __init__(self, cin: int, pool_features: int):
        super().__init__()
        self.branch1x1 = _BasicConv2d(cin, 64, kernel_size=1)
        self.branch5x5_1 = _BasicConv2d(cin, 48, kernel_size=1)
        self.branch5x5_2 = _BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = _BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = _BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = _BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = _BasicConv2d(cin, pool_features, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(_tf_avg_pool(x))], 1)


class _InceptionB(nn.Module):  # torchvision InceptionB (Mixed_6a)
    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3 = _BasicConv2d(cin, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = _BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = _BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = _BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class _InceptionC(nn.Module):  # pytorch-fid FIDInceptionC
    def __init__(self, cin: int, channels_7x7: int):
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = _BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7_1 = _BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = _BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = _BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = _BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = _BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = _BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = _BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = _BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = _BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            bd = layer(bd)
        return torch.cat([self.branch1x1(x), b7, bd, self.branch_pool(_tf_avg_pool(x))], 1)


class _InceptionD(nn.Module):  # torchvision InceptionD (Mixed_7a)
    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3_1 = _BasicConv2d(cin, 192, kernel_size=1)
        self.branch3x3_2 = _BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = _BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7x3_2 = _BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = _BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = _BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class _InceptionE(nn.Module):  # pytorch-fid FIDInceptionE_1 (pool="avg") / FIDInceptionE_2 (pool="max")
    def __init__(self, cin: int, pool: str):
        super().__init__()
        self.pool = pool
        self.branch1x1 = _BasicConv2d(cin, 320, kernel_size=1)
        self.branch3x3_1 = _BasicConv2d(cin, 384, kernel_size=1)
        self.branch3x3_2a = _BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = _BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = _BasicConv2d(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = _BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = _BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = _BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = _BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        if self.pool == "avg":
            p = _tf_avg_pool(x)
        else:  # the FID network's last block max-pools here (a quirk of the TF graph)
            p = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        return torch.cat([self.branch1x1(x), b3, bd, self.branch_pool(p)], 1)


INCEPTION_WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"


class InceptionFeatures(nn.Module):
    """pytorch-fid's FID InceptionV3 up to the final average pool: images -> ``(N, 2048)``.

    The same layers, names and maths as pytorch-fid's ``fid_inception_v3()`` (torchvision's
    Inception3 with the ``FIDInceptionA/C/E_1/E_2`` blocks: TF-style average pools without
    the padding, max pool in ``Mixed_7c``), so the state dict keys are torchvision's
    (``Conv2d_1a_3x3.conv.weight``, ``Mixed_5b.branch1x1.bn.running_mean``, ...).
    ``weights_path`` is the local FID weights file ``pt_inception-2015-12-05-6726825d.pth``
    (``.pth`` or ``.safetensors``); its ``fc.*`` keys are ignored and missing
    ``num_batches_tracked`` entries are fine. Nothing is downloaded: a missing, unreadable or
    mismatching file raises :class:`MetricWeightsError`.

    Input (as pytorch-fid with ``resize_input=True, normalize_input=True``): bilinear resize to
    299 x 299 (``align_corners=False``), then ``2x - 1``. :meth:`forward` takes [N,3,H,W]
    floats in [0, 1]; :meth:`features` takes uint8 images and returns a numpy array.
    """

    def __init__(self, weights_path: str | Path | None):
        super().__init__()
        need = f"pytorch-fid's FID Inception weights ({INCEPTION_WEIGHTS_FILE})"
        path, sd = _load_state_dict(weights_path, "FID/KID", need, "--inception-weights")
        self.Conv2d_1a_3x3 = _BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = _BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = _BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = _BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = _BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = _InceptionA(192, pool_features=32)
        self.Mixed_5c = _InceptionA(256, pool_features=64)
        self.Mixed_5d = _InceptionA(288, pool_features=64)
        self.Mixed_6a = _InceptionB(288)
        self.Mixed_6b = _InceptionC(768, channels_7x7=128)
        self.Mixed_6c = _InceptionC(768, channels_7x7=160)
        self.Mixed_6d = _InceptionC(768, channels_7x7=160)
        self.Mixed_6e = _InceptionC(768, channels_7x7=192)
        self.Mixed_7a = _InceptionD(768)
        self.Mixed_7b = _InceptionE(1280, pool="avg")
        self.Mixed_7c = _InceptionE(2048, pool="max")
        _load_into(self, sd, path, "FID/KID", need, "torchvision Inception3 keys such as Conv2d_1a_3x3.conv.weight")
        self.requires_grad_(False).eval()

    def train(self, mode: bool = True) -> InceptionFeatures:
        return super().train(False)  # frozen: batch norm always uses its running statistics

    @torch.no_grad()
    def forward(self, x: Tensor) -> Tensor:
        """[N,3,H,W] RGB in [0, 1] -> [N, 2048] pool features."""
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        x = 2 * x - 1
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
            x = getattr(self, f"Mixed_{name}")(x)
        return F.adaptive_avg_pool2d(x, 1).flatten(1)

    def features(self, images, batch_size: int = 16) -> np.ndarray:
        """uint8 ``(H, W, 3)`` images (a list or an ``(N, H, W, 3)`` array; sizes may differ in
        a list) -> ``(N, 2048)`` float64 features for :func:`fid_from_features`."""
        if isinstance(images, (list, tuple)) and len({np.asarray(i).shape for i in images}) > 1:
            return np.concatenate([self.features(i, batch_size) for i in images])
        x = _images_to_tensor(images)
        dev = next(self.parameters()).device
        out = [self(x[i : i + batch_size].to(dev)).cpu() for i in range(0, len(x), batch_size)]
        return torch.cat(out).double().numpy()


# =========================================================================== LPIPS
#: torchvision ``features`` layouts; ints are conv widths (kernel, stride, padding), "M" max-pools
_ALEX = [(64, 11, 4, 2), "R", ("M", 3), (192, 5, 1, 2), "R", ("M", 3), (384, 3, 1, 1), "R", (256, 3, 1, 1), "R", (256, 3, 1, 1), "R"]
_VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512)
#: LPIPS taps (ReLU outputs, torchvision indices) and channel counts
_LPIPS_NETS = {
    "alex": ((1, 4, 7, 9, 11), (64, 192, 384, 256, 256), "AlexNet (alexnet-owt-7be5be79.pth)"),
    "vgg": ((3, 8, 15, 22, 29), (64, 128, 256, 512, 512), "VGG16 (vgg16-397923af.pth)"),
}
#: the official lpips package's nn.Sequential slices of ``features`` (for ``net.sliceK.N`` keys)
_LPIPS_SLICES = {"alex": (0, 2, 5, 8, 10, 12), "vgg": (0, 4, 9, 16, 23, 30)}


def _backbone(net: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    if net == "alex":
        cin = 3
        for v in _ALEX:
            if v == "R":
                layers.append(nn.ReLU())
            elif v[0] == "M":
                layers.append(nn.MaxPool2d(kernel_size=v[1], stride=2))
            else:
                layers.append(nn.Conv2d(cin, v[0], kernel_size=v[1], stride=v[2], padding=v[3]))
                cin = v[0]
    else:
        cin = 3
        for v in _VGG16:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(cin, v, kernel_size=3, padding=1), nn.ReLU()]
                cin = v
    return nn.Sequential(*layers)


class _NetLin(nn.Module):
    """lpips' NetLinLayer (dropout + 1x1 conv, no bias): keys ``model.1.weight``."""

    def __init__(self, cin: int):
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(cin, 1, kernel_size=1, bias=False))


def _lpips_keys(sd: dict[str, Tensor], net: str) -> dict[str, Tensor]:
    """Map the key spellings LPIPS weights come in onto ``features.N.*`` / ``linK.model.1.weight``:
    the official package's full module (``net.sliceK.N.*``), and lin layers saved without
    dropout (``linK.model.0.weight``)."""
    out = dict(sd)
    for k, v in sd.items():
        parts = k.split(".")
        if len(parts) == 4 and parts[0] == "net" and parts[1].startswith("slice"):
            out.setdefault(f"features.{parts[2]}.{parts[3]}", v)
        if len(parts) == 4 and parts[0].startswith("lin") and parts[1:3] == ["model", "0"] and parts[3] == "weight":
            out.setdefault(f"{parts[0]}.model.1.weight", v)
    return out


class LPIPS(nn.Module):
    """LPIPS v0.1 (Zhang et al. 2018), the official ``lpips`` package's maths, from local weights.

    ``net="alex"`` (the default, as the lpips package and try-on papers) or ``"vgg"``. The
    distance of images x, y: backbone ReLU features at five layers (AlexNet relu1..relu5 /
    VGG16 relu1_2, relu2_2, relu3_3, relu4_3, relu5_3), each normalised to unit length over
    channels (``f / (||f||_2 + 1e-10)``), squared difference, the learned 1x1 ``lin`` layer,
    spatial mean, summed over the layers. Inputs are first shifted/scaled by lpips'
    ScalingLayer (shift ``[-.030, -.088, -.188]``, scale ``[.458, .448, .450]``).

    Weights, two ways (``.pth`` or ``.safetensors``):

    * one file (``weights_path`` only) holding both the backbone (torchvision keys
      ``features.N.weight/bias``, or the lpips package's ``net.sliceK.N.weight/bias``) and
      the lin layers (``lin0.model.1.weight`` .. ``lin4.model.1.weight``) -- this module's own
      ``state_dict()`` is such a file;
    * or ``weights_path`` = the lpips package's lin file (``weights/v0.1/alex.pth`` or
      ``vgg.pth``, lin keys only) plus ``backbone_path`` = torchvision's ImageNet weights
      (``alexnet-owt-7be5be79.pth`` / ``vgg16-397923af.pth``; ``classifier.*`` ignored).

    A missing, unreadable or mismatching file raises :class:`MetricWeightsError`; nothing is
    downloaded. :meth:`forward` takes [N,3,H,W] in [-1, 1] (the lpips convention) and returns
    [N]; :meth:`distance` takes two uint8 ``(H, W, 3)`` images and returns a float (0 for
    identical images, larger = more different).
    """

    def __init__(self, weights_path: str | Path | None, net: str = "alex", *, backbone_path: str | Path | None = None):
        super().__init__()
        if net not in _LPIPS_NETS:
            raise ValueError(f"LPIPS: unknown backbone {net!r}; valid: {', '.join(_LPIPS_NETS)}")
        self.net = net
        taps, chns, backbone_name = _LPIPS_NETS[net]
        self.taps = taps
        need = f"LPIPS {net} weights (lin layers lin0..lin4 and the {backbone_name} backbone)"
        path, sd = _load_state_dict(weights_path, "LPIPS", need, "--lpips-weights")
        if backbone_path is not None:
            bpath, bsd = _load_state_dict(backbone_path, "LPIPS", f"torchvision's {backbone_name} weights", "--lpips-backbone")
            sd = {**{k: v for k, v in bsd.items() if k.startswith("features.")}, **sd}
        self.features = _backbone(net)[: taps[-1] + 1]
        for i, c in enumerate(chns):
            setattr(self, f"lin{i}", _NetLin(c))
        self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1), persistent=False)
        sd = _lpips_keys(sd, net)
        hint = "features.N.weight/bias and lin0.model.1.weight .. lin4.model.1.weight"
        where = path if backbone_path is None else Path(f"{path} + {bpath}")
        _load_into(self, sd, where, "LPIPS", need, hint)
        self.requires_grad_(False).eval()

    def train(self, mode: bool = True) -> LPIPS:
        return super().train(False)  # frozen: dropout in the lin layers stays off

    @staticmethod
    def _unit(f: Tensor) -> Tensor:
        return f / (torch.sqrt((f * f).sum(dim=1, keepdim=True)) + 1e-10)

    def _taps(self, x: Tensor) -> list[Tensor]:
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.taps:
                out.append(x)
        return out

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        """LPIPS of two [N,3,H,W] batches in [-1, 1] -> [N]."""
        if x.shape != y.shape or x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"LPIPS needs two [N,3,H,W] tensors of equal shape, got {tuple(x.shape)} and {tuple(y.shape)}")
        fx = self._taps((x - self.shift) / self.scale)
        fy = self._taps((y - self.shift) / self.scale)
        total = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for k, (a, b) in enumerate(zip(fx, fy)):
            d = (self._unit(a) - self._unit(b)) ** 2
            total = total + getattr(self, f"lin{k}").model(d).mean(dim=(1, 2, 3))
        return total

    @torch.no_grad()
    def distance(self, a: np.ndarray, b: np.ndarray) -> float:
        """LPIPS of two uint8 ``(H, W, 3)`` RGB images of equal shape."""
        ta, tb = _images_to_tensor(a), _images_to_tensor(b)
        if ta.shape != tb.shape or ta.shape[0] != 1:
            raise ValueError(f"LPIPS.distance needs two (H, W, 3) images of equal shape, got {np.shape(a)} and {np.shape(b)}")
        dev = self.shift.device
        return float(self(ta.to(dev) * 2 - 1, tb.to(dev) * 2 - 1)[0])


# =========================================================================== availability
def metric_availability(lpips_weights: str | Path | None = None, inception_weights: str | Path | None = None) -> dict[str, str]:
    """For the evaluation report: ``{"LPIPS": ..., "FID": ..., "KID": ...}``, each either
    ``"computed"`` or ``"not computed: ..."`` with the reason and the flag that would enable it.

    "computed" means a file exists at the path; it is validated when the metric loads it
    (an unusable file then raises :class:`MetricWeightsError`). FID and KID share the
    Inception weights.
    """

    def status(path, flag: str) -> str:
        if path is None or str(path) == "":
            return f"not computed: no weights (give {flag} PATH)"
        if not Path(path).is_file():
            return f"not computed: no weights file at {path} (give {flag} PATH)"
        return "computed"

    inc = status(inception_weights, "--inception-weights")
    return {"LPIPS": status(lpips_weights, "--lpips-weights"), "FID": inc, "KID": inc}
