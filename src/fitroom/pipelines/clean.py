"""Clean up a noisy or poorly lit garment product photo: even light, true colours, less noise,
a white background.

Steps (classical, with the garment VAE as an optional low-frequency prior):

1. **Mask** from :func:`fitroom.garment.analyze_garment` (a photo that is not a garment
   raises its clear error). The analysis runs on a copy evened by a light field fitted to
   the photo's border and denoised (steps 2-3 with the border as the backdrop), since the
   mask finder needs a plain backdrop.
2. **Light**: the backdrop of a product photo is meant to be uniformly white, so the
   background pixels (outside a dilated mask) are fitted per channel with a smooth
   second-order polynomial in x, y (the light field: exposure, colour cast, a gradient or
   vignetting). Dividing the photo by it (scaled to ``backdrop``) evens the light on the
   garment too, on the assumption that the garment lay under the same light.
3. **Noise**: the noise level is measured on the background residual and removed with
   OpenCV's non-local means (``fastNlMeansDenoisingColored``), strength set from it.
4. **VAE prior** (``vae_weight`` > 0): the garment is encoded and decoded by the garment VAE;
   the result's low frequencies (a Gaussian blur of ``lowpass`` x the garment size) replace
   that fraction of the photo's own low frequencies inside the mask, keeping the photo's high
   frequencies. It can only pull colours and shading towards what product photos of its
   training set look like, so it is off by default (``benchmarks/eval_garmentgen.py`` measures
   whether it helps).
5. **Background**: everything outside the mask becomes white; the edge is blended over a
   pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fitroom.garment import GarmentAnalysis, analyze_garment
from fitroom.imaging.masks import dilate

__all__ = ["CleanResult", "clean_garment", "estimate_light", "estimate_noise"]


@dataclass(frozen=True)
class CleanResult:
    """``image``: the cleaned photo (uint8 RGB, same size); ``mask``: the garment; ``noise_sigma``:
    noise measured on the background (0-255 units); ``light``: the fitted light field
    ``(H, W, 3)`` (1 = the backdrop level); ``analysis``: the garment analysis."""

    image: np.ndarray
    mask: np.ndarray
    noise_sigma: float
    light: np.ndarray
    analysis: GarmentAnalysis


def _design_matrix(xs: np.ndarray, ys: np.ndarray, w: int, h: int) -> np.ndarray:
    x = xs.astype(np.float64) / max(w - 1, 1) * 2 - 1
    y = ys.astype(np.float64) / max(h - 1, 1) * 2 - 1
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], 1)


def estimate_light(image: np.ndarray, background: np.ndarray) -> np.ndarray:
    """The light field ``(H, W, 3)`` float32 (0-255 units): a per-channel quadratic in x, y
    fitted (least squares, then once more without the worst 20% of the residuals) to the
    ``background`` pixels (bool ``(H, W)``)."""
    h, w = background.shape
    ys, xs = np.nonzero(background)
    if len(ys) < 50:
        # no backdrop to learn from: a flat field at the photo's brightest level
        return np.broadcast_to(np.percentile(image.reshape(-1, 3), 99, axis=0).astype(np.float32), image.shape).copy()
    rng = np.random.default_rng(0)
    if len(ys) > 40000:
        pick = rng.choice(len(ys), 40000, replace=False)
        ys, xs = ys[pick], xs[pick]
    A = _design_matrix(xs, ys, w, h)
    vals = image[ys, xs].astype(np.float64)
    coef, *_ = np.linalg.lstsq(A, vals, rcond=None)
    res = np.abs(vals - A @ coef).sum(1)
    keep = res <= np.percentile(res, 80)
    coef, *_ = np.linalg.lstsq(A[keep], vals[keep], rcond=None)
    gy, gx = np.mgrid[0:h, 0:w]
    field = (_design_matrix(gx.ravel(), gy.ravel(), w, h) @ coef).reshape(h, w, 3)
    return np.clip(field, 8.0, None).astype(np.float32)


def estimate_noise(image: np.ndarray, background: np.ndarray, light: np.ndarray) -> float:
    """Noise standard deviation (0-255 units) of the background pixels around the light field
    (a robust estimate: 1.4826 x the median absolute deviation)."""
    if background.sum() < 50:
        return 0.0
    r = image[background].astype(np.float32) - light[background]
    return float(1.4826 * np.median(np.abs(r - np.median(r, 0))))


def clean_garment(image: np.ndarray, *, vae=None, vae_weight: float = 0.0, lowpass: float = 0.04,
                  backdrop: int = 255, denoise: bool = True) -> CleanResult:
    """A cleaned version of a garment product photo (see the module docstring).

    ``vae`` (a :class:`~fitroom.models.GarmentVAE`) and ``vae_weight`` in [0, 1] switch on the
    VAE prior; ``lowpass`` is the blur of that prior as a fraction of the garment's size.
    """
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"image must be (H, W, 3) uint8 RGB, got {img.shape} {img.dtype}")
    if not 0 <= vae_weight <= 1:
        raise ValueError(f"vae_weight must be in [0, 1], got {vae_weight}")
    h, w = img.shape[:2]
    # 1. a first light field from the photo's border (a product photo's border is backdrop),
    #    evened and denoised so that the mask finder sees a plain backdrop
    band = max(2, int(0.04 * min(h, w)))
    border = np.zeros((h, w), bool)
    border[:band], border[-band:], border[:, :band], border[:, -band:] = True, True, True, True
    pre = _even_and_denoise(img, border, backdrop, denoise)[0]
    analysis = analyze_garment(np.clip(pre + 0.5, 0, 255).astype(np.uint8))
    mask = analysis.mask
    # 2.-3. the light field from all the background, then the noise
    bg = ~dilate(mask, max(3, int(0.01 * max(h, w))))
    out, light, sigma = _even_and_denoise(img, bg, backdrop, denoise)
    # 4. the VAE's low frequencies, optionally
    if vae is not None and vae_weight > 0:
        out = _vae_lowpass(out, mask, analysis, vae, vae_weight, lowpass)
    # 5. white background, blended over the edge
    alpha = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.6)
    alpha = np.where(mask, np.maximum(alpha, 0.5), 0.0)[..., None]
    final = out * alpha + float(backdrop) * (1 - alpha)
    return CleanResult(image=np.clip(final + 0.5, 0, 255).astype(np.uint8), mask=mask, noise_sigma=sigma,
                       light=light / 255.0, analysis=analysis)


def _even_and_denoise(img: np.ndarray, bg: np.ndarray, backdrop: int, denoise: bool
                      ) -> tuple[np.ndarray, np.ndarray, float]:
    """``(evened and denoised float32 image, light field, noise sigma)`` from the background
    pixels ``bg``."""
    light = estimate_light(img, bg)
    sigma = estimate_noise(img, bg, light)
    even = np.clip(img.astype(np.float32) / light * float(backdrop), 0, 255)
    gain = float(backdrop) / max(float(np.median(light[bg])) if bg.any() else 255.0, 1.0)
    sig_even = sigma * gain  # the noise level after evening the light
    if denoise and sig_even > 1.0:
        u8 = np.clip(even + 0.5, 0, 255).astype(np.uint8)
        hval = float(np.clip(0.9 * sig_even, 3.0, 30.0))
        even = cv2.fastNlMeansDenoisingColored(u8, None, hval, hval, 5, 15).astype(np.float32)
    return even, light, sigma


def _vae_lowpass(img: np.ndarray, mask: np.ndarray, analysis: GarmentAnalysis, vae, weight: float,
                 lowpass: float) -> np.ndarray:
    """Blend the VAE reconstruction's low frequencies into ``img`` inside ``mask``."""
    import torch

    from fitroom.data.garment_set import prepare_garment
    from fitroom.data.garmentgen_dataset import garment_tensor

    size = vae.config.image_size
    u8 = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    rgb, m = prepare_garment(u8, mask, size)
    with torch.no_grad():
        rec = vae(garment_tensor(rgb, m)[None].to(next(vae.parameters()).device), sample=False).recon[0]
    rec_rgb = np.clip((rec[:3].permute(1, 2, 0).cpu().numpy() + 1) * 127.5, 0, 255)
    # map the VAE frame back onto the photo (the inverse of prepare_garment's crop and resize)
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    side = max(y1 - y0, x1 - x0)
    side_m = int(round(side * 1.12))
    top, left = int(round((y0 + y1) / 2 - side_m / 2)), int(round((x0 + x1) / 2 - side_m / 2))
    big = cv2.resize(rec_rgb.astype(np.float32), (side_m, side_m), interpolation=cv2.INTER_CUBIC)
    M = np.float32([[1, 0, left], [0, 1, top]])
    prior = cv2.warpAffine(big, M, (img.shape[1], img.shape[0]), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
    s = max(lowpass * side, 1.0)
    mf = mask.astype(np.float32)
    den = cv2.GaussianBlur(mf, (0, 0), s) + 1e-6

    def masked_blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x * mf[..., None], (0, 0), s) / den[..., None]

    low_img, low_prior = masked_blur(img), masked_blur(prior)
    blended = img + weight * (low_prior - low_img)
    return np.where(mask[..., None], blended, img)
