"""Garment photo clean-up: light field, noise, white background, VAE prior."""

from __future__ import annotations

import numpy as np
import pytest

from fitroom.data.render_garment import render_garment
from fitroom.errors import GarmentError
from fitroom.eval.metrics import ssim
from fitroom.examples import example_person
from fitroom.imaging import load_image
from fitroom.pipelines.clean import clean_garment, estimate_light
from fitroom.pipelines.garment_models import load_vae


def _degrade(img: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    light = 0.6 + 0.25 * xx
    out = img * light[..., None] * np.array([1.0, 0.92, 0.8]) + rng.normal(0, 15, img.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def test_estimate_light_recovers_a_gradient():
    h, w = 60, 80
    yy, xx = np.mgrid[0:h, 0:w]
    field = 100 + 0.5 * xx + 0.2 * yy
    img = np.repeat(field[..., None], 3, axis=2).astype(np.uint8)
    bg = np.ones((h, w), bool)
    bg[20:40, 30:50] = False
    est = estimate_light(img, bg)
    assert np.abs(est[..., 0] - field).max() < 1.5  # also under the (masked-out) garment


@pytest.mark.parametrize("use_vae", [False, True])
def test_clean_restores_a_degraded_photo(use_vae):
    g = render_garment("short-sleeve top", size=(384, 512), seed=8, pattern="stripes")
    target = np.where(g.mask[..., None], g.image, 255).astype(np.uint8)
    deg = _degrade(g.image, 0)
    r = clean_garment(deg, vae=load_vae() if use_vae else None, vae_weight=0.5 if use_vae else 0.0)
    assert r.image.shape == deg.shape
    assert 10 < r.noise_sigma < 20  # measured on the backdrop (15 before the light)
    assert ssim(r.image, target) > ssim(deg, target) + 0.4
    assert (r.image[~r.mask] >= 250).mean() > 0.97  # white background


def test_not_a_garment():
    with pytest.raises(GarmentError):
        clean_garment(load_image(example_person()))
    with pytest.raises(ValueError, match="vae_weight"):
        clean_garment(np.zeros((64, 64, 3), np.uint8), vae_weight=2.0)
