"""Losses against known values: SSIM, hinge, feature matching, TV, L1, VGG19 perceptual."""

from __future__ import annotations

import pytest
import torch

from fitroom.errors import FitroomError
from fitroom.training.losses import (
    VGG19_LAYERS,
    SSIMLoss,
    VGGPerceptualLoss,
    VGGWeightsNotFoundError,
    feature_matching_loss,
    hinge_d_loss,
    hinge_g_loss,
    l1_loss,
    ssim,
    ssim_loss,
    tv_loss,
)


def _img(seed=0, shape=(2, 3, 32, 24)):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g) * 2 - 1


def test_l1_plain_and_masked():
    a, b = torch.zeros(1, 1, 2, 2), torch.tensor([[[[1.0, 3.0], [0.0, 0.0]]]])
    assert l1_loss(a, b).item() == pytest.approx(1.0)
    mask = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
    assert l1_loss(a, b, mask).item() == pytest.approx(1.0)
    assert l1_loss(a, b, torch.zeros_like(mask)).item() == 0.0


def test_ssim_identical_is_one_and_loss_zero():
    x = _img()
    assert ssim(x, x).item() == pytest.approx(1.0, abs=1e-5)
    assert ssim_loss(x, x).item() == pytest.approx(0.0, abs=1e-5)
    assert SSIMLoss(value_range=(0, 1))((x + 1) / 2, (x + 1) / 2).item() == pytest.approx(0.0, abs=1e-5)


def test_ssim_range_invariance_and_gradient():
    x, y = _img(0), _img(1)
    # the same images given in [-1, 1] and in [0, 1] have the same SSIM
    assert ssim(x, y).item() == pytest.approx(ssim((x + 1) / 2, (y + 1) / 2, value_range=(0, 1)).item(), abs=1e-5)
    assert 0 < ssim_loss(x, y).item() <= 2
    y = y.requires_grad_()
    ssim_loss(x, y).backward()
    assert y.grad is not None and torch.isfinite(y.grad).all() and y.grad.abs().sum() > 0


def test_ssim_matches_skimage_gaussian():
    skimage = pytest.importorskip("skimage.metrics")
    x, y = (_img(2, (1, 1, 32, 32)) + 1) / 2, (_img(3, (1, 1, 32, 32)) + 1) / 2
    ref = skimage.structural_similarity(
        x[0, 0].double().numpy(), y[0, 0].double().numpy(), data_range=1.0, gaussian_weights=True,
        sigma=1.5, use_sample_covariance=False,
    )
    # skimage crops (win-1)/2 after a "same" filter; we use "valid": identical windows
    assert ssim(x.double(), y.double(), value_range=(0, 1)).item() == pytest.approx(ref, abs=2e-3)


def test_ssim_errors():
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match="equal shape"):
        ssim(torch.zeros(1, 1, 16, 16), torch.zeros(1, 1, 16, 17))


def test_hinge_losses_known_values():
    real = [torch.full((2, 1, 4, 4), 1.5), torch.full((2, 1, 2, 2), 3.0)]
    fake = [torch.full((2, 1, 4, 4), -2.0), torch.full((2, 1, 2, 2), -1.0)]
    assert hinge_d_loss(real, fake).item() == 0.0  # perfectly separated
    # all-zero logits: relu(1) + relu(1) = 2 per scale
    assert hinge_d_loss(torch.zeros(3, 1), torch.zeros(3, 1)).item() == pytest.approx(2.0)
    assert hinge_g_loss(fake).item() == pytest.approx((2.0 + 1.0) / 2)
    # features-list form: last element per scale is the logits
    feats = [[torch.randn(2, 4, 4, 4), torch.full((2, 1, 4, 4), 1.0)]]
    assert hinge_d_loss(feats, [[torch.randn(2, 4, 4, 4), torch.full((2, 1, 4, 4), -1.0)]]).item() == 0.0
    with pytest.raises(ValueError, match="numbers of scales"):
        hinge_d_loss(real, fake[:1])


def test_feature_matching():
    feats = [[torch.randn(2, 4, 8, 8), torch.randn(2, 8, 4, 4), torch.randn(2, 1, 4, 4)] for _ in range(2)]
    same = [[f.clone() for f in s] for s in feats]
    assert feature_matching_loss(feats, same).item() == 0.0
    shifted = [[f + 1.0 for f in s[:-1]] + [s[-1] + 100.0] for s in feats]
    assert feature_matching_loss(feats, shifted).item() == pytest.approx(1.0)  # logits skipped
    assert feature_matching_loss(feats, shifted, skip_last=False).item() > 1.0
    fake = [[f.clone().requires_grad_() for f in s] for s in shifted]
    feature_matching_loss(feats, fake).backward()
    assert fake[0][0].grad is not None


def test_tv():
    assert tv_loss(torch.full((2, 3, 8, 8), 0.7)).item() == 0.0
    ramp = torch.arange(5.0).view(1, 1, 1, 5).expand(1, 1, 4, 5)  # x-gradient 1, y-gradient 0
    assert tv_loss(ramp).item() == pytest.approx(1.0)
    mask = torch.zeros(1, 1, 4, 5)
    assert tv_loss(ramp, mask).item() == 0.0


# ----------------------------------------------------------------------------- VGG19
def _torchvision_vgg19_state_dict(seed=0) -> dict[str, torch.Tensor]:
    """Random tensors under the exact keys and shapes of torchvision's vgg19().state_dict()."""
    g = torch.Generator().manual_seed(seed)
    convs = {0: (3, 64), 2: (64, 64), 5: (64, 128), 7: (128, 128), 10: (128, 256), 12: (256, 256),
             14: (256, 256), 16: (256, 256), 19: (256, 512), 21: (512, 512), 23: (512, 512),
             25: (512, 512), 28: (512, 512), 30: (512, 512), 32: (512, 512), 34: (512, 512)}
    sd = {}
    for i, (cin, cout) in convs.items():
        sd[f"features.{i}.weight"] = torch.randn(cout, cin, 3, 3, generator=g) * (2 / (9 * cin)) ** 0.5
        sd[f"features.{i}.bias"] = torch.zeros(cout)
    sd["classifier.0.weight"] = torch.zeros(8, 8)  # torchvision's head: present and ignored
    sd["classifier.0.bias"] = torch.zeros(8)
    return sd


def test_vgg_layer_indices_match_torchvision():
    assert VGG19_LAYERS["relu1_1"] == 1 and VGG19_LAYERS["relu2_1"] == 6 and VGG19_LAYERS["relu3_1"] == 11
    assert VGG19_LAYERS["relu4_1"] == 20 and VGG19_LAYERS["relu5_1"] == 29 and VGG19_LAYERS["relu5_4"] == 35


def test_vgg_missing_weights_raise_clear_error(tmp_path):
    for path in (None, tmp_path / "vgg19-dcbb9e9d.pth"):
        with pytest.raises(VGGWeightsNotFoundError) as e:
            VGGPerceptualLoss(path)
        assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, FitroomError)
        assert "VGG19" in str(e.value) and "never downloads" in str(e.value)


def test_vgg_wrong_file_is_rejected(tmp_path):
    p = tmp_path / "bad.pth"
    torch.save({"conv.weight": torch.zeros(1)}, p)
    with pytest.raises(VGGWeightsNotFoundError, match="not a torchvision VGG19 state dict"):
        VGGPerceptualLoss(p)


@pytest.mark.parametrize("fmt", ["pth", "safetensors"])
def test_vgg_with_random_state_dict_runs(tmp_path, fmt):
    sd = _torchvision_vgg19_state_dict()
    path = tmp_path / f"vgg19.{fmt}"
    if fmt == "pth":
        torch.save(sd, path)
    else:
        from safetensors.torch import save_file

        save_file(sd, str(path))
    loss = VGGPerceptualLoss(path)
    assert torch.equal(loss.vgg.features[28].weight, sd["features.28.weight"])
    assert not any(p.requires_grad for p in loss.parameters())
    x = _img(0, (1, 3, 32, 32))
    assert loss(x, x).item() == 0.0
    y = _img(1, (1, 3, 32, 32)).requires_grad_()
    value = loss(y, x)
    value.backward()
    assert value.item() > 0 and y.grad.abs().sum() > 0
    loss.train()
    assert not loss.vgg.training
