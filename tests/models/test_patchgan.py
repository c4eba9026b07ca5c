from __future__ import annotations

import pytest
import torch

import fitroom.models as fm

H, W = 64, 48


def _tiny(**kw) -> fm.MultiScalePatchGAN:
    torch.manual_seed(0)
    cfg = dict(condition_channels=5, base_channels=4, n_layers=2, num_scales=3, input_size=(H, W))
    cfg.update(kw)
    return fm.build("patchgan-ms", **cfg)


def _inputs(b: int = 2):
    g = torch.Generator().manual_seed(3)
    return torch.rand(b, 5, H, W, generator=g), torch.rand(b, 3, H, W, generator=g) * 2 - 1


def test_shapes_per_scale():
    d = _tiny()
    out = d(*_inputs())
    assert isinstance(out, fm.DiscriminatorOutput)
    assert len(out.logits) == len(out.features) == 3
    assert all(lo.shape[:2] == (2, 1) for lo in out.logits)
    sizes = [lo.shape[-1] * lo.shape[-2] for lo in out.logits]
    assert sizes[0] > sizes[1] > sizes[2] > 0
    assert all(len(f) == 3 for f in out.features)  # n_layers + 1 intermediate activations
    assert out.features[0][0].shape == (2, 4, H // 2, W // 2)


def test_spectral_norm_on_every_conv():
    d = _tiny()
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(hasattr(c, "parametrizations") and "weight" in c.parametrizations for c in convs)


def test_backward_reaches_every_parameter():
    d = _tiny()
    out = d(*_inputs())
    loss = sum(lo.mean() for lo in out.logits) + sum(f.mean() for fs in out.features for f in fs)
    loss.backward()
    assert not [n for n, p in d.named_parameters() if p.grad is None]


def test_round_trip_identical_outputs(tmp_path):
    d = _tiny()
    d.train()
    d(*_inputs())  # a power iteration updates u, v
    d.eval()
    x = _inputs()
    d.save_pretrained(tmp_path)
    d2 = fm.load(tmp_path)
    with torch.no_grad():
        a, b = d(*x), d2(*x)
    assert all(torch.equal(p, q) for p, q in zip(a.logits, b.logits, strict=True))


def test_unconditional_and_errors():
    d = _tiny(condition_channels=0, num_scales=2)
    _, img = _inputs()
    assert len(d(None, img).logits) == 2
    d = _tiny()
    with pytest.raises(ValueError, match="condition"):
        d(None, img)
    with pytest.raises(ValueError, match="image must have 3"):
        d(torch.zeros(2, 5, H, W), torch.zeros(2, 1, H, W))
