"""texture-gan: tiny configuration, exact tileability, backward, save/load, errors."""

from __future__ import annotations

import pytest
import torch

from fitroom import models as fm

TINY = dict(z_dim=8, channels=(16, 8), input_size=(16, 16))


def test_shapes_and_range():
    g = fm.build("texture-gan", **TINY)
    x = g(torch.randn(3, 8))
    assert x.shape == (3, 3, 16, 16) and x.abs().max() <= 1
    assert g.generate(2, seed=0).shape == (2, 3, 16, 16)


def test_circular_padding_makes_the_texture_periodic():
    """Shifting the periodic start map by one cell shifts the output by 2**stages pixels,
    exactly: the patch is one period of a seamless texture. (With zero padding it is not.)"""
    torch.manual_seed(0)
    g = fm.build("texture-gan", **TINY).eval()
    h = g.start(torch.randn(2, 8))
    out = g.synthesize(h)
    shifted = g.synthesize(torch.roll(h, shifts=(1, 1), dims=(2, 3)))
    assert torch.allclose(shifted, torch.roll(out, shifts=(4, 4), dims=(2, 3)), atol=1e-5)
    # a 2x2 tiled start map gives the 2x2 tiled texture: no seam between repeats
    big = g.synthesize(h.repeat(1, 1, 2, 2))
    assert torch.allclose(big, out.repeat(1, 1, 2, 2), atol=1e-5)


def test_backward_and_determinism():
    torch.manual_seed(3)
    g = fm.build("texture-gan", **TINY)
    g(torch.randn(4, 8)).mean().backward()
    assert all(p.grad is not None for p in g.parameters())
    g.eval()
    assert torch.equal(g.generate(3, seed=5), g.generate(3, seed=5))
    assert not torch.equal(g.generate(3, seed=5), g.generate(3, seed=6))


def test_save_load_round_trip(tmp_path):
    torch.manual_seed(2)
    g = fm.build("texture-gan", **TINY)
    g(torch.randn(8, 8))  # move the BatchNorm statistics
    g.eval()
    g.save_pretrained(tmp_path / "gan")
    back = fm.load(tmp_path / "gan")
    assert isinstance(back, fm.TextureGAN)
    assert torch.equal(back.generate(2, seed=1), g.generate(2, seed=1))


def test_errors():
    with pytest.raises(ValueError, match=r"input_size must be \(16, 16\)"):
        fm.build("texture-gan", z_dim=8, channels=(16, 8), input_size=(64, 64))
    with pytest.raises(ValueError, match="invalid texture-gan"):
        fm.build("texture-gan", z_dim=0, channels=(16, 8), input_size=(16, 16))
    g = fm.build("texture-gan", **TINY)
    with pytest.raises(ValueError, match=r"z must be \[B, 8\]"):
        g(torch.randn(2, 7))
