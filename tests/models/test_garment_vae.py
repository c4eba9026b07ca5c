"""garment-vae: tiny configuration, shapes, backward, save/load, errors."""

from __future__ import annotations

import pytest
import torch

from fitroom import models as fm
from fitroom.errors import FitroomError

TINY = dict(image_size=32, channels=(8, 16), latent_dim=6, groups=4, input_size=(32, 32))


@pytest.fixture(params=["batch", "group", "none"])
def norm(request):
    return request.param


def test_shapes_and_range():
    torch.manual_seed(0)
    m = fm.build("garment-vae", **TINY)
    x = torch.rand(3, 4, 32, 32) * 2 - 1
    out = m(x)
    assert out.recon.shape == (3, 4, 32, 32) and out.mu.shape == (3, 6) and out.logvar.shape == (3, 6)
    assert out.recon.abs().max() <= 1
    assert m.sample(5).shape == (5, 4, 32, 32)
    m.eval()
    assert torch.equal(m(x).z, m(x).mu)  # eval mode decodes the mean


def test_backward_reaches_every_parameter(norm):
    m = fm.build("garment-vae", **TINY, norm=norm)
    x = torch.rand(2, 4, 32, 32) * 2 - 1
    out = m(x)
    m.loss(x, out).loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in m.parameters())


def test_kl_is_zero_at_the_prior_and_beta_scales_it():
    m = fm.build("garment-vae", **TINY)
    x = torch.zeros(2, 4, 32, 32)
    out = fm.VAEOutput(recon=x.clone(), mu=torch.zeros(2, 6), logvar=torch.zeros(2, 6), z=torch.zeros(2, 6))
    terms = m.loss(x, out)
    assert float(terms.kl) == 0 and float(terms.loss) == 0
    out.mu = torch.ones(2, 6)  # KL = 0.5 * 6 nats per sample
    assert float(m.loss(x, out).kl) == pytest.approx(3.0)
    assert float(m.loss(x, out, beta=2.0).loss) == pytest.approx(2 * 3.0 / (4 * 32 * 32))


def test_save_load_round_trip(tmp_path):
    torch.manual_seed(1)
    m = fm.build("garment-vae", **TINY).eval()
    x = torch.rand(2, 4, 32, 32) * 2 - 1
    m.save_pretrained(tmp_path / "vae")
    back = fm.load(tmp_path / "vae")
    assert isinstance(back, fm.GarmentVAE) and back.config == m.config
    assert torch.equal(back(x).recon, m(x).recon)
    # half-precision weights on disk (as shipped) load into float32 and stay close
    m.save_pretrained(tmp_path / "vae16", dtype=torch.float16)
    half = fm.load(tmp_path / "vae16")
    assert next(half.parameters()).dtype == torch.float32
    assert (half(x).recon - m(x).recon).abs().max() < 2e-2
    assert (tmp_path / "vae16" / "model.safetensors").stat().st_size < (tmp_path / "vae" / "model.safetensors").stat().st_size * 0.6


def test_config_and_input_errors():
    with pytest.raises(ValueError, match="multiple of"):
        fm.build("garment-vae", image_size=40, channels=(8, 16, 16, 16), input_size=(40, 40))
    with pytest.raises(ValueError, match="divisible by groups"):
        fm.build("garment-vae", **{**TINY, "channels": (6, 16), "norm": "group"})
    with pytest.raises(ValueError, match="norm must be"):
        fm.build("garment-vae", **{**TINY, "norm": "layer"})
    with pytest.raises(ValueError, match="input_size"):
        fm.build("garment-vae", **{**TINY, "input_size": (64, 64)})
    with pytest.raises(ValueError, match="unknown config field"):
        fm.build("garment-vae", **TINY, depth=3)
    m = fm.build("garment-vae", **TINY)
    with pytest.raises(ValueError, match=r"expects \[B, 4, 32, 32\]"):
        m(torch.zeros(1, 3, 32, 32))
    with pytest.raises(ValueError, match="latent codes"):
        m.decode(torch.zeros(1, 5))
    with pytest.raises(FitroomError, match="unknown model architecture 'garment-vea'.*garment-vae"):
        fm.build("garment-vea")


def test_fit_latent_prior_recovers_a_gaussian():
    m = fm.build("garment-vae", **TINY)
    assert torch.equal(m.latent_scale_tril, torch.eye(6))  # N(0, I) before fitting
    g = torch.Generator().manual_seed(0)
    L = torch.tril(torch.randn(6, 6, generator=g)) + 3 * torch.eye(6)
    codes = 5 + torch.randn(20000, 6, generator=g) @ L.T
    m.fit_latent_prior(codes)
    assert torch.allclose(m.latent_mean, torch.full((6,), 5.0), atol=0.1)
    cov = m.latent_scale_tril @ m.latent_scale_tril.T
    assert torch.allclose(cov, L @ L.T, rtol=0.05, atol=0.2)
    z = m.prior_to_latent(torch.zeros(2, 6), temperature=0.5)
    assert torch.allclose(z, m.latent_mean.expand(2, 6))
    with pytest.raises(ValueError, match="fit_latent_prior"):
        m.fit_latent_prior(torch.zeros(1, 6))
