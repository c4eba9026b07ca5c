"""The garment VAE and the texture GAN at run time: loading the shipped weights, bringing a
garment photo into the VAE's frame, and turning decoded tensors back into product photos.

Weights are read from the package (``fitroom/weights/garment-vae`` and
``fitroom/weights/texture-gan``) or from a folder the caller names; nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from fitroom.errors import FitroomError, GarmentError
from fitroom.garment import GarmentAnalysis, analyze_garment
from fitroom.imaging.masks import fill_holes, largest_component

__all__ = [
    "GarmentCode",
    "PreparedGarment",
    "decode_to_photos",
    "default_weights",
    "encode_garments",
    "load_texture_gan",
    "load_vae",
    "prepare_photo",
    "to_product_photo",
]

#: grey level of the backdrop of generated product photos (a shop's over-exposed sweep)
BACKDROP = 248


def default_weights(name: str) -> Path:
    """The folder of a model shipped with fitroom (``fitroom/weights/<name>``)."""
    return Path(__file__).resolve().parents[1] / "weights" / name


def _load(kind: str, cls_name: str, weights: str | Path | None, device: str):
    from fitroom import models as fm

    path = Path(weights) if weights is not None else default_weights(kind)
    model = fm.load(path, device=device)
    if model.architecture != kind:
        raise FitroomError(f"{path} holds a '{model.architecture}' model, not a '{kind}'.")
    return model.eval().requires_grad_(False)


def load_vae(weights: str | Path | None = None, device: str = "cpu"):
    """The garment VAE (:class:`~fitroom.models.GarmentVAE`) from ``weights`` (a saved model
    folder, e.g. a run's ``final/``) or the shipped one; eval mode, no gradients."""
    return _load("garment-vae", "GarmentVAE", weights, device)


def load_texture_gan(weights: str | Path | None = None, device: str = "cpu"):
    """The texture generator (:class:`~fitroom.models.TextureGAN`) from ``weights`` or the
    shipped one; eval mode, no gradients."""
    return _load("texture-gan", "TextureGAN", weights, device)


@dataclass(frozen=True)
class PreparedGarment:
    """A garment photo analysed by :func:`fitroom.garment.analyze_garment` and framed for the
    VAE: ``rgb`` ``(S, S, 3)`` uint8 on white, ``mask`` ``(S, S)`` uint8 soft mask."""

    analysis: GarmentAnalysis
    rgb: np.ndarray
    mask: np.ndarray

    def tensor(self) -> torch.Tensor:
        from fitroom.data.garmentgen_dataset import garment_tensor

        return garment_tensor(self.rgb, self.mask)


def prepare_photo(image: np.ndarray, size: int = 128, analysis: GarmentAnalysis | None = None) -> PreparedGarment:
    """Analyse a garment product photo (raises fitroom's clear garment errors for a photo
    that is not one top or dress) and frame it as the VAE was trained
    (:func:`~fitroom.data.garment_set.prepare_garment`)."""
    from fitroom.data.garment_set import prepare_garment

    a = analysis if analysis is not None else analyze_garment(image)
    rgb, m = prepare_garment(a.image, a.mask, size)
    return PreparedGarment(analysis=a, rgb=rgb, mask=m)


@dataclass(frozen=True)
class GarmentCode:
    """The VAE posterior of one garment: ``mu`` and ``logvar`` ``[latent_dim]`` float32."""

    mu: np.ndarray
    logvar: np.ndarray


@torch.no_grad()
def encode_garments(vae, prepared: list[PreparedGarment], batch_size: int = 32) -> list[GarmentCode]:
    """Posterior means and log-variances of prepared garments."""
    out: list[GarmentCode] = []
    dev = next(vae.parameters()).device
    for i in range(0, len(prepared), batch_size):
        x = torch.stack([p.tensor() for p in prepared[i:i + batch_size]]).to(dev)
        mu, lv = vae.encode(x)
        out += [GarmentCode(m.cpu().numpy(), v.cpu().numpy()) for m, v in zip(mu, lv)]
    return out


def to_product_photo(decoded: torch.Tensor | np.ndarray, *, scale: int = 3,
                     backdrop: int = BACKDROP) -> tuple[np.ndarray, np.ndarray]:
    """A decoded VAE output ``[4, S, S]`` in [-1, 1] -> ``(photo uint8 (S*scale, S*scale, 3),
    mask bool)``: upsampled (bicubic), the mask thresholded at half coverage, cleaned (largest
    component, holes filled), the garment composited with an anti-aliased edge on a plain
    light ``backdrop``, as a shop's product photo (what ``fitroom tryon`` reads)."""
    x = decoded.detach().cpu().float().numpy() if isinstance(decoded, torch.Tensor) else np.asarray(decoded, np.float32)
    if x.ndim != 3 or x.shape[0] != 4:
        raise ValueError(f"expected a [4, S, S] decoded garment, got {x.shape}")
    rgb = np.clip((x[:3].transpose(1, 2, 0) + 1) / 2, 0, 1)
    m = np.clip((x[3] + 1) / 2, 0, 1)
    s = x.shape[1] * scale
    rgb = np.clip(cv2.resize(rgb, (s, s), interpolation=cv2.INTER_CUBIC), 0, 1)
    m = np.clip(cv2.resize(m, (s, s), interpolation=cv2.INTER_CUBIC), 0, 1)
    hard = m >= 0.5
    if hard.any():
        hard = fill_holes(largest_component(hard))
    alpha = cv2.GaussianBlur(hard.astype(np.float32), (0, 0), 0.7)  # an anti-aliased edge
    photo = rgb * 255 * alpha[..., None] + float(backdrop) * (1 - alpha[..., None])
    return np.clip(photo + 0.5, 0, 255).astype(np.uint8), hard


def decode_to_photos(vae, z: torch.Tensor, *, scale: int = 3, check: bool = True) -> list[dict]:
    """Decode latent codes ``[N, latent_dim]`` into product photos. Each item: ``image``,
    ``mask``, ``ok`` (fitroom's garment analysis accepts the photo, so it can be tried on)
    and ``category`` (what the analysis sees) or ``error``."""
    with torch.no_grad():
        dec = vae.decode(z.to(next(vae.parameters()).device))
    out = []
    for d in dec:
        photo, mask = to_product_photo(d, scale=scale)
        item = {"image": photo, "mask": mask, "ok": True, "category": None, "error": None}
        if check:
            try:
                a = analyze_garment(photo)
                item["category"] = str(a.category)
            except GarmentError as e:
                item.update(ok=False, error=str(e))
        out.append(item)
    return out
