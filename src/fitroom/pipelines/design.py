"""Garment design: new garments from the VAE's latent space, new prints from the texture GAN,
and re-texturing a garment photo while keeping its shading and seams.

Every garment written here is a product photo on a plain light backdrop plus its mask, and is
checked with :func:`fitroom.garment.analyze_garment` (the first step of ``fitroom tryon``), so
what is returned as usable can be tried on directly.

>>> from fitroom.pipelines.design import sample_garments, interpolate_garments, vary_garment
>>> designs = sample_garments(8, seed=0)                 # doctest: +SKIP
>>> frames = interpolate_garments(tee, dress, steps=6)   # doctest: +SKIP
>>> new = retexture(load_image("tee.png"), generate_textures(1, seed=3)[0])  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from fitroom.errors import FitroomError
from fitroom.garment import GarmentAnalysis, analyze_garment
from fitroom.imaging.color import luminance, rgb_to_lab

from .garment_models import decode_to_photos, encode_garments, load_texture_gan, load_vae, prepare_photo

__all__ = [
    "Design",
    "RetextureResult",
    "generate_textures",
    "interpolate_garments",
    "retexture",
    "sample_garments",
    "shading_map",
    "tile_texture",
    "vary_garment",
]


@dataclass(frozen=True)
class Design:
    """A generated garment: ``image`` (uint8 RGB product photo), ``mask`` (bool), ``ok``
    (fitroom's garment analysis accepts it), ``category`` (what that analysis sees) or
    ``error`` (why it was rejected), and the latent code ``z``."""

    image: np.ndarray
    mask: np.ndarray
    ok: bool
    category: str | None
    error: str | None
    z: np.ndarray


def _designs(vae, z: torch.Tensor, scale: int) -> list[Design]:
    items = decode_to_photos(vae, z, scale=scale)
    return [Design(it["image"], it["mask"], it["ok"], it["category"], it["error"], zz.cpu().numpy())
            for it, zz in zip(items, z)]


def sample_garments(n: int, *, seed: int = 0, temperature: float = 0.8, weights=None, vae=None,
                    scale: int = 3, max_tries: int = 5) -> tuple[list[Design], int]:
    """``n`` new garments drawn from the VAE's latent prior (the Gaussian fitted to the
    training garments' codes, see :meth:`~fitroom.models.GarmentVAE.fit_latent_prior`),
    ``temperature`` scaling the draws about its mean.

    Draws that fitroom's garment analysis rejects (a blob, two pieces) are replaced by new
    draws, up to ``max_tries * n`` draws in all. Returns ``(designs, rejected)``; fewer than
    ``n`` designs when the budget runs out.
    """
    if n < 1:
        raise FitroomError("the number of samples must be at least 1.")
    if temperature <= 0:
        raise FitroomError("temperature must be positive.")
    vae = vae if vae is not None else load_vae(weights)
    g = torch.Generator().manual_seed(int(seed))
    good: list[Design] = []
    rejected = 0
    drawn = 0
    while len(good) < n and drawn < max_tries * n:
        m = min(2 * (n - len(good)), max_tries * n - drawn)
        z = vae.prior_to_latent(torch.randn(m, vae.config.latent_dim, generator=g), temperature)
        drawn += m
        for d in _designs(vae, z, scale):
            if d.ok and len(good) < n:
                good.append(d)
            elif not d.ok:
                rejected += 1
    return good, rejected


def _slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < 1e-8 or nb < 1e-8:
        return (1 - t) * a + t * b
    omega = np.arccos(np.clip(np.dot(a / na, b / nb), -1, 1))
    if omega < 1e-4:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def interpolate_garments(a: np.ndarray, b: np.ndarray, *, steps: int = 8, weights=None, vae=None,
                         scale: int = 3, spherical: bool = True) -> list[Design]:
    """``steps`` garments on the way from photo ``a`` to photo ``b`` (both ends included,
    decoded from the posterior means; spherical interpolation by default). Raises fitroom's
    garment errors when ``a`` or ``b`` is not a garment."""
    if steps < 2:
        raise FitroomError("interpolation needs at least 2 steps.")
    vae = vae if vae is not None else load_vae(weights)
    size = vae.config.image_size
    ca, cb = encode_garments(vae, [prepare_photo(a, size), prepare_photo(b, size)])
    ts = np.linspace(0.0, 1.0, steps)
    zs = [(_slerp(ca.mu, cb.mu, t) if spherical else (1 - t) * ca.mu + t * cb.mu) for t in ts]
    return _designs(vae, torch.from_numpy(np.stack(zs).astype(np.float32)), scale)


def vary_garment(image: np.ndarray, n: int = 8, *, strength: float = 0.6, seed: int = 0, weights=None,
                 vae=None, scale: int = 3) -> list[Design]:
    """``n`` variations of the garment in ``image``: codes ``mu + strength * L eps`` (``eps``
    standard normal, ``L`` the latent prior's Cholesky factor, so ``strength`` is in units of
    the spread of the training garments' codes)."""
    if n < 1:
        raise FitroomError("the number of variations must be at least 1.")
    if strength < 0:
        raise FitroomError("strength must be >= 0.")
    vae = vae if vae is not None else load_vae(weights)
    (code,) = encode_garments(vae, [prepare_photo(image, vae.config.image_size)])
    g = torch.Generator().manual_seed(int(seed))
    eps = torch.randn(n, vae.config.latent_dim, generator=g)
    # steps shaped like the spread of the garments' codes (the ex-post prior's covariance)
    z = torch.from_numpy(code.mu)[None] + strength * (eps @ vae.latent_scale_tril.T)
    return _designs(vae, z, scale)


# ----------------------------------------------------------------------------- textures
def generate_textures(n: int, *, seed: int = 0, weights=None, gan=None) -> list[np.ndarray]:
    """``n`` tileable prints ``(S, S, 3)`` uint8 from the texture GAN."""
    if n < 1:
        raise FitroomError("the number of textures must be at least 1.")
    gan = gan if gan is not None else load_texture_gan(weights)
    x = gan.generate(n, seed=seed)
    arr = ((x.clamp(-1, 1) + 1) * 127.5 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    return list(arr)


def tile_texture(texture: np.ndarray, shape: tuple[int, int], *, period: float, angle: float = 0.0,
                 offset: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Fill an ``(H, W)`` canvas with a tileable ``texture`` (uint8 ``(h, w, 3)``) repeated
    every ``period`` pixels, rotated by ``angle`` radians about the origin and shifted by
    ``offset`` (pixels). Returns float32 RGB in [0, 1]. Bilinear sampling with wrap-around, so
    a tileable texture shows no seams."""
    h, w = shape
    th, tw = texture.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    c, s = np.cos(angle), np.sin(angle)
    u = (c * xx + s * yy - offset[0]) / period * tw
    v = (-s * xx + c * yy - offset[1]) / period * th
    tex = np.ascontiguousarray(texture.astype(np.float32) / 255.0)
    return cv2.remap(tex, np.mod(u, tw).astype(np.float32), np.mod(v, th).astype(np.float32),
                     cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)


def _fabric_albedo_luma(lab: np.ndarray, luma: np.ndarray, mask: np.ndarray, max_k: int = 3,
                        min_delta: float = 12.0, seed: int = 0) -> np.ndarray:
    """Per-pixel luma of the fabric's own colour (the print without light): the pixels inside
    ``mask`` are clustered into 1-3 colours (k-means in Lab with lightness weighted down, so
    shading does not split a colour) and each pixel gets the soft-assignment mean of its
    colours' median luma. Colours closer than ``min_delta`` (ΔE) are merged."""
    pts = lab[mask].astype(np.float32)
    L = luma[mask].astype(np.float32)
    if len(pts) < 16:
        return np.full(mask.shape, max(float(L.mean()) if len(L) else 0.5, 1e-3), np.float32)
    feat = pts * np.array([0.5, 1.0, 1.0], np.float32)
    rng = np.random.default_rng(seed)
    sub = feat[rng.choice(len(feat), min(len(feat), 20000), replace=False)]
    best_centres = np.median(feat, 0, keepdims=True)
    for k in range(2, max_k + 1):
        crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.1)
        cv2.setRNGSeed(seed)
        _, _, centres = cv2.kmeans(sub, k, None, crit, 3, cv2.KMEANS_PP_CENTERS)
        d = np.linalg.norm(centres[:, None] - centres[None], axis=-1)[np.triu_indices(k, 1)]
        if d.min() < min_delta:
            break
        best_centres = centres
    k = len(best_centres)
    if k == 1:
        return np.full(mask.shape, max(float(np.median(L)), 1e-3), np.float32)
    d2 = ((feat[:, None, :] - best_centres[None]) ** 2).sum(-1)
    hard = d2.argmin(1)
    med = np.array([np.median(L[hard == j]) if (hard == j).any() else float(np.median(L)) for j in range(k)])
    # soft assignment: mixed pixels along a print's edges get a mixed lightness
    tau = 2 * 6.0**2
    wgt = np.exp(-(d2 - d2.min(1, keepdims=True)) / tau)
    wgt /= wgt.sum(1, keepdims=True)
    out = np.full(mask.shape, max(float(np.median(L)), 1e-3), np.float32)
    out[mask] = np.maximum(wgt @ med, 1e-3)
    return out


def shading_map(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The light on a garment, without its print: ``(H, W)`` float32 multiplier, about 1 on
    average inside ``mask`` (folds and the darkening along edges, seams and a neck band stay;
    the print's colours are divided out), 1 outside.

    Luma (:func:`fitroom.imaging.luminance`, which scales with a multiplier on the RGB
    values) divided by the luma of the fabric's own colour at each pixel (see
    :func:`_fabric_albedo_luma`), then normalised to a median of 1. Clipped to [0.3, 1.6]."""
    m = np.asarray(mask) > 0
    lab = rgb_to_lab(image)
    luma = luminance(image)
    albedo = _fabric_albedo_luma(lab, luma, m)
    ratio = np.where(m, luma / albedo, 1.0).astype(np.float32)
    if m.any():
        ratio[m] /= max(float(np.median(ratio[m])), 1e-3)
    return np.clip(ratio, 0.3, 1.6)


@dataclass(frozen=True)
class RetextureResult:
    """``image``: the re-textured product photo (uint8 RGB, same size); ``mask``: the garment
    mask used; ``shading``: the light map applied; ``analysis``: the garment analysis."""

    image: np.ndarray
    mask: np.ndarray
    shading: np.ndarray
    analysis: GarmentAnalysis


def retexture(image: np.ndarray, texture: np.ndarray, *, scale: float = 0.25, seed: int = 0,
              analysis: GarmentAnalysis | None = None) -> RetextureResult:
    """Print ``texture`` (a tileable ``(h, w, 3)`` uint8 tile) on the garment in ``image``.

    The garment's mask and parts come from :func:`fitroom.garment.analyze_garment` (a photo
    that is not a garment raises its error). The tile repeats every ``scale`` x the torso's
    width; each sleeve gets its own copy turned along the sleeve (from shoulder to cuff) and
    shifted, so the print breaks at the armhole seams as on a sewn garment. The original's
    light (:func:`shading_map`: folds, seams, the neck band, edges) multiplies the new print.
    Outside the mask the photo is unchanged; the edge is blended over one pixel.
    """
    if not 0.02 <= scale <= 2.0:
        raise FitroomError("scale must be between 0.02 and 2 (tile width as a fraction of the torso width).")
    tex = np.asarray(texture)
    if tex.ndim != 3 or tex.shape[2] != 3 or tex.dtype != np.uint8 or min(tex.shape[:2]) < 4:
        raise FitroomError("the texture must be an RGB image of at least 4x4 pixels.")
    a = analysis if analysis is not None else analyze_garment(image)
    img = a.image
    h, w = img.shape[:2]
    lm = a.landmarks
    torso_w = max(abs(lm.armpit_left[0] - lm.armpit_right[0]), 8.0)
    period = scale * torso_w
    rng = np.random.default_rng(seed)
    albedo = tile_texture(tex, (h, w), period=period, offset=(lm.neck_front[0], lm.neck_front[1]))
    for side, sm in zip(("left", "right"), a.sleeve_masks):
        if not sm.any():
            continue
        sh = np.array(getattr(lm, f"shoulder_{side}"))
        cuff = 0.5 * (np.array(getattr(lm, f"sleeve_{side}_outer")) + np.array(getattr(lm, f"sleeve_{side}_inner")))
        d = cuff - sh
        # turn the print so its vertical runs along the sleeve (shoulder -> cuff)
        ang = float(np.arctan2(d[1], d[0]) - np.pi / 2)
        off = tuple(rng.uniform(0, period, 2))
        sleeve_tex = tile_texture(tex, (h, w), period=period, angle=ang, offset=off)
        albedo[sm] = sleeve_tex[sm]
    shade = shading_map(img, a.mask)
    new = np.clip(albedo * shade[..., None], 0, 1) * 255.0
    # blend over the anti-aliased edge: alpha from the mask, softened by one pixel
    alpha = cv2.GaussianBlur(a.mask.astype(np.float32), (0, 0), 0.6)
    alpha = np.where(a.mask, np.maximum(alpha, 0.5), 0.0)[..., None]
    out = img.astype(np.float32) * (1 - alpha) + new * alpha
    return RetextureResult(image=np.clip(out + 0.5, 0, 255).astype(np.uint8), mask=a.mask, shading=shade, analysis=a)


def save_design(path: str | Path, image: np.ndarray, mask: np.ndarray) -> tuple[Path, Path]:
    """Write a product photo and its mask (``<stem>_mask.png`` beside it)."""
    from fitroom.imaging import save_image

    path = Path(path)
    mpath = path.with_name(path.stem + "_mask.png")
    save_image(path, image)
    save_image(mpath, np.asarray(mask, bool))
    return path, mpath
