from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import fitroom.models as fm
from fitroom.models.warp_flow import identity_grid, local_correlation

H, W = 64, 48


def _tiny() -> fm.WarpFlow:
    torch.manual_seed(0)
    return fm.build("warp-flow", base_channels=4, levels=3, corr_radius=2, input_size=(H, W))


def _inputs(b: int = 2):
    g = torch.Generator().manual_seed(1)
    person = torch.rand(b, fm.PERSON_CHANNELS, H, W, generator=g) * 2 - 1
    garment = torch.rand(b, 3, H, W, generator=g) * 2 - 1
    mask = (torch.rand(b, 1, H, W, generator=g) > 0.5).float()
    return person, garment, mask


def test_shapes_and_ranges():
    m = _tiny()
    with torch.no_grad():
        out = m(*_inputs())
    assert isinstance(out, fm.WarpOutput)
    assert out.flow.shape == (2, 2, H, W)
    assert out.warped_garment.shape == (2, 3, H, W)
    assert out.warped_mask.shape == (2, 1, H, W)
    assert 0 <= float(out.warped_mask.min()) and float(out.warped_mask.max()) <= 1
    assert [f.shape[-2:] for f in out.flows] == [(8, 6), (16, 12), (32, 24)]


def test_odd_sizes_run():
    m = _tiny()
    p, g, k = _inputs(1)
    out = m(p[..., :61, :45], g[..., :61, :45], k[..., :61, :45])
    assert out.flow.shape == (1, 2, 61, 45)


def test_backward_reaches_every_parameter():
    m = _tiny()
    out = m(*_inputs())
    loss = (out.warped_garment - 0.3).abs().mean() + out.warped_mask.mean() + sum(f.abs().mean() for f in out.flows)
    loss.backward()
    missing = [n for n, p in m.named_parameters() if p.grad is None]
    assert not missing


def test_round_trip_identical_outputs(tmp_path):
    m = _tiny().eval()
    x = _inputs()
    m.save_pretrained(tmp_path)
    m2 = fm.load(tmp_path)
    with torch.no_grad():
        a, b = m(*x), m2(*x)
    assert torch.equal(a.flow, b.flow) and torch.equal(a.warped_garment, b.warped_garment)


def test_zero_flow_is_the_identity():
    _, garment, mask = _inputs()
    zero = torch.zeros(2, 2, H, W)
    assert torch.allclose(fm.warp(garment, zero), garment, atol=1e-5)
    assert torch.allclose(fm.warp(mask, zero, padding_mode="zeros"), mask, atol=1e-5)


def test_one_pixel_flow_shifts_by_one_pixel():
    _, garment, _ = _inputs(1)
    flow = torch.zeros(1, 2, H, W)
    flow[:, 0] = 2.0 / W  # sample one pixel to the right
    out = fm.warp(garment, flow)
    assert torch.allclose(out[..., :-1], garment[..., 1:], atol=1e-5)


def test_flow_means_the_same_at_every_resolution():
    # align_corners=False: -1/+1 are the image edges, so a flow upsampled bilinearly is the
    # same physical displacement (a constant flow stays constant, pixel centres at +-(1 - 1/n))
    flow = torch.zeros(1, 2, 8, 6)
    flow[:, 0] = 0.25
    up = F.interpolate(flow, size=(H, W), mode="bilinear", align_corners=False)
    assert torch.allclose(up[:, 0], torch.full((1, H, W), 0.25)) and up[:, 1].abs().max() == 0
    grid = identity_grid(1, 2, 4)
    assert torch.allclose(grid[0, 0, 0], torch.tensor([-0.75, -0.5]))
    assert torch.allclose(grid[0, 1, 3], torch.tensor([0.75, 0.5]))


def test_smoothness():
    const = torch.full((2, 2, 16, 12), 0.3)
    assert float(fm.flow_smoothness(const)) == 0.0
    assert float(fm.flow_smoothness(const, order=2)) == 0.0
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, 16), torch.linspace(-1, 1, 12), indexing="ij")
    affine = torch.stack([0.2 * xs + 0.1 * ys, -0.3 * ys])[None]
    assert float(fm.flow_smoothness(affine)) > 0
    assert float(fm.flow_smoothness(affine, order=2)) == pytest.approx(0.0, abs=1e-5)
    rough = torch.randn(1, 2, 16, 12)
    assert float(fm.flow_smoothness(rough)) > float(fm.flow_smoothness(affine))
    assert float(fm.flow_smoothness(rough, mask=torch.zeros(1, 1, 16, 12))) == 0.0
    with pytest.raises(ValueError, match="order"):
        fm.flow_smoothness(const, order=3)


def test_local_correlation_finds_a_shift():
    a = torch.randn(1, 8, 6, 6)
    b = torch.roll(a, shifts=1, dims=-1)  # b(p + (1, 0)) == a(p) inside
    corr = local_correlation(a, b, 1)
    assert corr.shape == (1, 9, 6, 6)
    assert int(corr[0, :, 2:4, 2:4].mean((1, 2)).argmax()) == 5  # dy=0, dx=+1


def test_bad_inputs():
    m = _tiny()
    p, g, k = _inputs(1)
    with pytest.raises(ValueError, match="channels"):
        m(p[:, :10], g, k)
    with pytest.raises(ValueError, match="share H, W"):
        m(p, g[..., :32, :], k)
