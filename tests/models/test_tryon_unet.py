from __future__ import annotations

import json

import pytest
import torch

import fitroom.models as fm

H, W = 64, 48


def _tiny() -> fm.TryOnUNet:
    torch.manual_seed(0)
    return fm.build("tryon-unet", base_channels=4, depth=3, input_size=(H, W))


def _inputs(b: int = 2):
    g = torch.Generator().manual_seed(2)
    return (torch.rand(b, fm.PERSON_CHANNELS, H, W, generator=g) * 2 - 1,
            torch.rand(b, 3, H, W, generator=g) * 2 - 1,
            torch.rand(b, 1, H, W, generator=g))


def test_shapes_ranges_and_composition():
    m = _tiny()
    p, wg, wm = _inputs()
    out = m(p, wg, wm)
    assert isinstance(out, fm.TryOnOutput)
    assert out.image.shape == out.rendered.shape == (2, 3, H, W)
    assert out.composition_mask.shape == (2, 1, H, W)
    assert out.rendered.abs().max() <= 1 and out.image.abs().max() <= 1
    assert 0 <= out.composition_mask.min() and out.composition_mask.max() <= 1
    m_ = out.composition_mask
    assert torch.allclose(out.image, m_ * wg + (1 - m_) * out.rendered)
    assert m(p[..., :50, :37], wg[..., :50, :37], wm[..., :50, :37]).image.shape == (2, 3, 50, 37)


def test_backward_reaches_every_parameter():
    m = _tiny()
    out = m(*_inputs())
    (out.image.mean() + out.rendered.pow(2).mean()).backward()
    assert not [n for n, p in m.named_parameters() if p.grad is None]


def test_round_trip_identical_outputs(tmp_path):
    m = _tiny().eval()
    x = _inputs()
    m.save_pretrained(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["architecture"] == "tryon-unet" and cfg["input_size"] == [H, W]
    m2 = fm.TryOnUNet.from_pretrained(tmp_path)
    with torch.no_grad():
        assert torch.equal(m(*x).image, m2(*x).image)


def test_bad_inputs():
    m = _tiny()
    p, wg, wm = _inputs(1)
    with pytest.raises(ValueError, match="channels"):
        m(p, wg, torch.cat([wm, wm], 1))


def test_batch_to_image_end_to_end():
    """A TryOnDataset-shaped batch through the person representation, the warp, the
    generator and the discriminator."""
    torch.manual_seed(0)
    b = 2
    batch = {
        "person": torch.rand(b, 3, H, W) * 2 - 1,
        "garment": torch.rand(b, 3, H, W) * 2 - 1,
        "garment_mask": torch.ones(b, 1, H, W),
        "parse": torch.randint(0, 20, (b, H, W)),
        "keypoints": torch.cat([torch.rand(b, 25, 2) * 40, torch.ones(b, 25, 1)], -1),
    }
    rep = fm.person_representation_from_batch(batch)
    warp = fm.build("warp-flow", base_channels=4, levels=3, corr_radius=1)
    w = warp(rep, batch["garment"], batch["garment_mask"])
    out = _tiny()(rep, w.warped_garment, w.warped_mask)
    d = fm.build("patchgan-ms", base_channels=4, n_layers=2)
    logits = d(torch.cat([rep, w.warped_garment], 1), out.image).logits
    (out.image.mean() + sum(lo.mean() for lo in logits)).backward()
    assert all(p.grad is not None for p in warp.parameters())
