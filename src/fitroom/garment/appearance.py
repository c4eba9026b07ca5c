"""Weight-free appearance descriptors of a garment's fabric: colour and print.

The garment VAE's code keeps silhouette and lightness, not prints or hue, so catalog search
(:mod:`fitroom.pipelines.search`) adds these classical descriptors, computed only inside the
garment mask:

* **colour** (:func:`colour_descriptor`, :data:`COLOUR_DIM` values): a joint a*b* histogram
  (6 x 6 bins over [-64, 64]) and an L* histogram (8 bins) of the masked pixels in CIE Lab,
  each square-rooted (Hellinger) so a few dominant colours do not swamp the rest, plus the
  mean and standard deviation of L*, a*, b* (scaled to about unit range).
* **print** (:func:`print_descriptor`, :data:`PRINT_DIM` values), computed on the grey level
  standardised inside the mask (zero mean, unit standard deviation), so that the same print
  in other colours (any two-tone fabric whose light and dark tones keep their order) gives
  the same values:

  - oriented band energies: 4 orientations x 3 scales of a Gabor bank, each the masked mean
    squared response divided by the total over the bank (the *orientation part*,
    :data:`ORIENTED_SLICE`), plus the log of the total (how much print there is);
  - a rotation-invariant uniform local binary pattern histogram (8 neighbours, radius 1 and
    2; 10 bins each), made symmetric under light/dark exchange;
  - FFT periodicity: the power spectrum of the masked, windowed grey level in 4 radial
    bands x 4 orientation bins (normalised), plus the spectral peakiness (largest bin over
    the mean, log) that separates regular stripes, checks and dots from plain or noisy
    fabric.

:func:`appearance_descriptor` returns both blocks. Everything is deterministic and
vectorised: about 5 ms for a 128 x 128 garment (measured over the 500 held-out garments
of the benchmark, 2 shared CPU cores).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

__all__ = [
    "COLOUR_DIM",
    "ORIENTED_SLICE",
    "PRINT_DIM",
    "Appearance",
    "appearance_descriptor",
    "colour_descriptor",
    "fabric_mask",
    "print_descriptor",
]

_AB_BINS, _L_BINS = 6, 8
COLOUR_DIM = _AB_BINS * _AB_BINS + _L_BINS + 6
_ORIENTS = 4
_WAVELENGTHS = (3.0, 6.0, 12.0)  # pixels, at the VAE's 128 x 128 frame
_N_ORIENTED = _ORIENTS * len(_WAVELENGTHS)
#: the slice of :func:`print_descriptor` holding the relative oriented Gabor energies
ORIENTED_SLICE = slice(0, _N_ORIENTED)
_FFT_R, _FFT_A = 4, 4
PRINT_DIM = _N_ORIENTED + 1 + 2 * 10 + _FFT_R * _FFT_A + 1


class Appearance(tuple):
    """``(colour [COLOUR_DIM] float32, print [PRINT_DIM] float32)``."""

    __slots__ = ()

    @property
    def colour(self) -> np.ndarray:
        return self[0]

    @property
    def print(self) -> np.ndarray:  # noqa: A003 - the print block
        return self[1]


def _check(rgb: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rgb = np.asarray(rgb)
    m = np.asarray(mask)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"rgb must be (H, W, 3) uint8, got {rgb.shape} {rgb.dtype}")
    if m.shape != rgb.shape[:2]:
        raise ValueError(f"mask shape {m.shape} does not match the image {rgb.shape[:2]}")
    return rgb, m


def fabric_mask(mask: np.ndarray, erode: int = 1) -> np.ndarray:
    """The pixels that are surely fabric: ``mask`` ``(H, W)`` (bool, 0/1 or 0-255 coverage)
    thresholded at half coverage and eroded by ``erode`` pixels (so the anti-aliased edge
    and the backdrop do not leak in); falls back to the un-eroded mask when erosion would
    leave fewer than 16 pixels. Returns ``(H, W)`` bool."""
    m = np.asarray(mask)
    hard = m > (0 if m.dtype == np.bool_ or m.max() <= 1 else 127)
    if erode > 0:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * erode + 1, 2 * erode + 1))
        er = cv2.erode(hard.astype(np.uint8), k) > 0
        if er.sum() >= 16:
            return er
    return hard


def colour_descriptor(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Colour of the fabric: ``rgb`` ``(H, W, 3)`` uint8 RGB, ``mask`` ``(H, W)`` (see
    :func:`fabric_mask`) -> ``[COLOUR_DIM]`` float32: sqrt of the normalised a*b* joint
    histogram (36), sqrt of the L* histogram (8), then mean and std of L*/100, a*/64, b*/64.
    An empty mask gives zeros."""
    rgb, m = _check(rgb, mask)
    fm = fabric_mask(m)
    out = np.zeros(COLOUR_DIM, np.float32)
    if not fm.any():
        return out
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)[fm]  # L 0-100, a/b ~ -128..127
    L, a, b = lab[:, 0], lab[:, 1], lab[:, 2]
    ia = np.clip(((a + 64) / 128 * _AB_BINS).astype(np.int64), 0, _AB_BINS - 1)
    ib = np.clip(((b + 64) / 128 * _AB_BINS).astype(np.int64), 0, _AB_BINS - 1)
    hab = np.bincount(ia * _AB_BINS + ib, minlength=_AB_BINS * _AB_BINS).astype(np.float32)
    il = np.clip((L / 100 * _L_BINS).astype(np.int64), 0, _L_BINS - 1)
    hl = np.bincount(il, minlength=_L_BINS).astype(np.float32)
    n = float(len(L))
    out[:36] = np.sqrt(hab / n)
    out[36:44] = np.sqrt(hl / n)
    out[44:] = [L.mean() / 100, a.mean() / 64, b.mean() / 64, L.std() / 100, a.std() / 64, b.std() / 64]
    return out


@lru_cache(maxsize=None)
def _gabor_bank() -> tuple[np.ndarray, ...]:
    kernels = []
    for lam in _WAVELENGTHS:
        sigma = 0.56 * lam  # about one octave of bandwidth
        ks = int(2 * round(2.5 * sigma) + 1)
        for j in range(_ORIENTS):
            theta = np.pi * j / _ORIENTS
            k = cv2.getGaborKernel((ks, ks), sigma, theta, lam, 1.0, psi=0, ktype=cv2.CV_32F)
            k -= k.mean()  # no response to flat fabric
            k /= np.abs(k).sum()
            kq = cv2.getGaborKernel((ks, ks), sigma, theta, lam, 1.0, psi=np.pi / 2, ktype=cv2.CV_32F)
            kq -= kq.mean()
            kq /= np.abs(kq).sum()
            kernels.append((k, kq))
    return tuple(kernels)


def _standard_grey(rgb: np.ndarray, fm: np.ndarray) -> np.ndarray:
    """Grey level standardised inside ``fm`` (outside: 0 = the fabric mean)."""
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    v = g[fm]
    sd = float(v.std())
    z = np.zeros_like(g)
    if sd > 1e-3:
        z[fm] = (v - v.mean()) / sd
    return z


def _lbp_hist(z: np.ndarray, fm: np.ndarray, radius: int) -> np.ndarray:
    """Rotation-invariant uniform LBP (P = 8) histogram, 10 bins, symmetric under z -> -z."""
    h, w = z.shape
    pad = radius + 1
    zp = np.pad(z, pad, mode="edge")
    c = z
    bits = []
    for t in range(8):
        dy = -radius * np.sin(2 * np.pi * t / 8)
        dx = radius * np.cos(2 * np.pi * t / 8)
        y0, x0 = int(np.floor(dy)), int(np.floor(dx))
        fy, fx = dy - y0, dx - x0
        def sh(oy, ox):
            return zp[pad + oy:pad + oy + h, pad + ox:pad + ox + w]
        v = (sh(y0, x0) * (1 - fy) * (1 - fx) + sh(y0, x0 + 1) * (1 - fy) * fx
             + sh(y0 + 1, x0) * fy * (1 - fx) + sh(y0 + 1, x0 + 1) * fy * fx) if (fy > 1e-6 or fx > 1e-6) else sh(y0, x0)
        bits.append(v >= c + 0.05)  # a small tolerance: flat fabric reads as "all equal"
    b = np.stack(bits).astype(np.int8)
    transitions = np.abs(np.diff(np.concatenate([b, b[:1]]), axis=0)).sum(0)
    ones = b.sum(0)
    code = np.where(transitions <= 2, ones, 9)
    # erode the mask by the radius so the neighbours are fabric too
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    inner = cv2.erode(fm.astype(np.uint8), k) > 0
    if inner.sum() < 16:
        inner = fm
    hist = np.bincount(code[inner].ravel(), minlength=10).astype(np.float32)
    hist /= max(hist.sum(), 1.0)
    sym = hist.copy()
    sym[:9] = 0.5 * (hist[:9] + hist[:9][::-1])  # k ones <-> 8 - k ones under light/dark exchange
    return np.sqrt(sym)


@lru_cache(maxsize=8)
def _fft_bins(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    r = np.sqrt(fy * fy + fx * fx)
    ang = np.mod(np.arctan2(fy, fx), np.pi)  # orientation of the wave vector, 0..pi
    edges = np.array([1 / 48, 1 / 24, 1 / 12, 1 / 6, 0.5])  # cycles per pixel
    rb = np.searchsorted(edges, r, side="right") - 1
    ab = np.clip((np.mod(ang + np.pi / (2 * _FFT_A), np.pi) / np.pi * _FFT_A).astype(np.int64), 0, _FFT_A - 1)
    valid = (rb >= 0) & (rb < _FFT_R)
    return np.where(valid, rb * _FFT_A + ab, -1), valid, np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)


def print_descriptor(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Print (texture) of the fabric: ``rgb`` ``(H, W, 3)`` uint8, ``mask`` ``(H, W)`` ->
    ``[PRINT_DIM]`` float32, in order: relative oriented Gabor energies (12 =
    3 wavelengths (3, 6, 12 px) x 4 orientations (0, 45, 90, 135 degrees);
    :data:`ORIENTED_SLICE`), log total band energy (1), symmetric rotation-invariant uniform
    LBP histograms at radius 1 and 2 (2 x 10, square-rooted), the FFT power in 4 radial x 4
    orientation bins (16, sums to 1, square-rooted), and the log spectral peakiness (1).
    Invariant to an affine change of the grey level inside the mask (so the same two-tone
    print in other colours scores the same); plain fabric gives near-uniform relative
    energies and a low total. Sizes around 128 x 128 (the VAE's frame) are what the
    wavelengths are chosen for."""
    rgb, m = _check(rgb, mask)
    fm = fabric_mask(m)
    out = np.zeros(PRINT_DIM, np.float32)
    if fm.sum() < 16:
        return out
    z = _standard_grey(rgb, fm)
    area = float(fm.sum())
    # oriented energies, masked (filters see 0 = the mean outside the fabric)
    inner = cv2.erode(fm.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))) > 0
    if inner.sum() < 16:
        inner = fm
    en = np.empty(_N_ORIENTED, np.float64)
    for i, (k, kq) in enumerate(_gabor_bank()):
        re = cv2.filter2D(z, cv2.CV_32F, k, borderType=cv2.BORDER_CONSTANT)
        im = cv2.filter2D(z, cv2.CV_32F, kq, borderType=cv2.BORDER_CONSTANT)
        en[i] = float((re * re + im * im)[inner].mean())
    tot = en.sum()
    out[ORIENTED_SLICE] = en / tot if tot > 1e-12 else 1.0 / _N_ORIENTED
    out[_N_ORIENTED] = np.log10(tot + 1e-4) / 4
    o = _N_ORIENTED + 1
    out[o:o + 10] = _lbp_hist(z, fm, 1)
    out[o + 10:o + 20] = _lbp_hist(z, fm, 2)
    o += 20
    # periodicity: power spectrum of the windowed, masked grey level
    idx, valid, win = _fft_bins(*z.shape)
    p = np.abs(np.fft.rfft2(z * win)) ** 2
    pw = np.bincount(idx[valid], weights=p[valid], minlength=_FFT_R * _FFT_A)
    s = pw.sum()
    out[o:o + 16] = np.sqrt(pw / s) if s > 1e-9 else 0.0
    pv = p[valid]
    out[o + 16] = np.log10(pv.max() / max(pv.mean(), 1e-12) + 1.0) / 3 if s > 1e-9 else 0.0
    return out


def appearance_descriptor(rgb: np.ndarray, mask: np.ndarray) -> Appearance:
    """Both blocks of a garment's appearance: ``rgb`` ``(H, W, 3)`` uint8 (e.g. the VAE's
    128 x 128 frame, :class:`~fitroom.pipelines.garment_models.PreparedGarment`), ``mask``
    ``(H, W)`` -> :class:`Appearance` ``(colour [COLOUR_DIM], print [PRINT_DIM])`` float32."""
    return Appearance((colour_descriptor(rgb, mask), print_descriptor(rgb, mask)))
