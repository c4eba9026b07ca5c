"""Loss functions: small callables over tensors, each documented with shapes and ranges.

Functions (``l1_loss``, ``ssim``, ``ssim_loss``, ``hinge_d_loss``, ``hinge_g_loss``,
``feature_matching_loss``, ``tv_loss``) are stateless; :class:`SSIMLoss` and
:class:`VGGPerceptualLoss` are ``nn.Module`` callables holding their settings (and, for VGG,
frozen weights). All return a scalar tensor (mean over the batch).

Multi-scale discriminator outputs follow pix2pixHD: a list over scales, each either a logits
tensor or a list of intermediate features whose **last** element is the logits.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fitroom.errors import FitroomError

__all__ = [
    "VGG19_LAYERS",
    "SSIMLoss",
    "VGG19Features",
    "VGGPerceptualLoss",
    "VGGWeightsNotFoundError",
    "feature_matching_loss",
    "hinge_d_loss",
    "hinge_g_loss",
    "l1_loss",
    "ssim",
    "ssim_loss",
    "tv_loss",
]


# --------------------------------------------------------------------------- pixel losses
def l1_loss(pred: Tensor, target: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean absolute error. ``mask`` ([B,1,H,W] or broadcastable, values in [0, 1]) restricts
    the mean to the masked pixels (weighted mean; 0 when the mask is empty)."""
    diff = (pred - target).abs()
    if mask is None:
        return diff.mean()
    mask = mask.expand_as(diff).to(diff.dtype)
    return (diff * mask).sum() / mask.sum().clamp_min(1e-8)


def _gaussian_window(size: int, sigma: float, channels: int, device, dtype) -> Tensor:
    coords = torch.arange(size, device=device, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    g = (g / g.sum()).to(dtype)
    return (g[:, None] * g[None, :]).expand(channels, 1, size, size).contiguous()


def ssim(
    x: Tensor,
    y: Tensor,
    *,
    value_range: tuple[float, float] = (-1.0, 1.0),
    window_size: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> Tensor:
    """Mean structural similarity of two image batches [B,C,H,W] (differentiable).

    ``value_range`` is the (min, max) of the inputs: **(-1, 1)** (the default, the networks'
    range) or (0, 1), (0, 255). Inputs are mapped to [0, 1] first, so the value is the
    standard SSIM of the images whatever their convention (SSIM's luminance term is not
    shift-invariant, so computing it on [-1, 1] data directly would give a different number).
    Gaussian window (``window_size`` x ``window_size``, std ``sigma``) per channel, without
    padding ("valid"; as Wang et al. 2004 and skimage's ``gaussian_weights=True,
    use_sample_covariance=False``). Returns the mean SSIM in [-1, 1]; 1 means identical.
    Both image sides must be at least ``window_size`` pixels.
    """
    if x.shape != y.shape or x.ndim != 4:
        raise ValueError(f"ssim needs two [B,C,H,W] tensors of equal shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    if min(x.shape[-2:]) < window_size:
        raise ValueError(f"ssim needs images at least {window_size}x{window_size}, got {tuple(x.shape[-2:])}")
    lo, hi = value_range
    if not hi > lo:
        raise ValueError(f"value_range must be (min, max) with max > min, got {value_range}")
    c = x.shape[1]
    dtype = x.dtype if x.dtype in (torch.float32, torch.float64) else torch.float32
    x = (x.to(dtype) - lo) / (hi - lo)
    y = (y.to(dtype) - lo) / (hi - lo)
    w = _gaussian_window(window_size, sigma, c, x.device, dtype)

    def blur(t: Tensor) -> Tensor:
        return F.conv2d(t, w, groups=c)

    c1, c2 = k1**2, k2**2  # data range 1 after the mapping
    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return s.mean()


def ssim_loss(x: Tensor, y: Tensor, *, value_range: tuple[float, float] = (-1.0, 1.0), **kwargs) -> Tensor:
    """``1 - ssim(x, y)``: 0 for identical images, in [0, 2]. See :func:`ssim` for ``value_range``."""
    return 1.0 - ssim(x, y, value_range=value_range, **kwargs)


class SSIMLoss(nn.Module):
    """``1 - SSIM`` as a module; ``value_range=(-1, 1)`` (default) or ``(0, 1)`` for the inputs."""

    def __init__(self, value_range: tuple[float, float] = (-1.0, 1.0), window_size: int = 11, sigma: float = 1.5):
        super().__init__()
        self.value_range, self.window_size, self.sigma = tuple(value_range), window_size, sigma

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        return ssim_loss(x, y, value_range=self.value_range, window_size=self.window_size, sigma=self.sigma)


def tv_loss(x: Tensor, mask: Tensor | None = None) -> Tensor:
    """Total-variation smoothness: mean |x[..., i+1, j] - x[..., i, j]| + mean |x[..., i, j+1] -
    x[..., i, j]| over a [B,C,H,W] tensor (an image, a flow field [B,2,H,W], a mask).
    ``mask`` ([B,1,H,W]) restricts it to differences whose both pixels are masked. 0 for a
    constant input."""
    dy = (x[..., 1:, :] - x[..., :-1, :]).abs()
    dx = (x[..., :, 1:] - x[..., :, :-1]).abs()
    if mask is None:
        return dy.mean() + dx.mean()
    m = mask.to(x.dtype)
    my = (m[..., 1:, :] * m[..., :-1, :]).expand_as(dy)
    mx = (m[..., :, 1:] * m[..., :, :-1]).expand_as(dx)
    return (dy * my).sum() / my.sum().clamp_min(1e-8) + (dx * mx).sum() / mx.sum().clamp_min(1e-8)


# --------------------------------------------------------------------------- adversarial
def _logits(outputs: Tensor | Sequence) -> list[Tensor]:
    """Per-scale logits from a tensor, a list of tensors, or a list of feature lists."""
    if isinstance(outputs, Tensor):
        return [outputs]
    out = []
    for o in outputs:
        out.append(o if isinstance(o, Tensor) else o[-1])
    if not out:
        raise ValueError("discriminator outputs are empty")
    return out


def hinge_d_loss(real: Tensor | Sequence, fake: Tensor | Sequence) -> Tensor:
    """Hinge discriminator loss, averaged over scales:
    ``mean(relu(1 - D(real))) + mean(relu(1 + D(fake)))``.

    ``real``/``fake`` are logits (a tensor, or a list over scales of tensors or of feature
    lists ending with the logits). 0 once real logits are >= 1 and fake logits <= -1; pass
    ``fake`` computed from detached generator outputs.
    """
    r, f = _logits(real), _logits(fake)
    if len(r) != len(f):
        raise ValueError(f"real and fake have different numbers of scales ({len(r)} vs {len(f)})")
    total = sum(F.relu(1.0 - a).mean() + F.relu(1.0 + b).mean() for a, b in zip(r, f))
    return total / len(r)


def hinge_g_loss(fake: Tensor | Sequence) -> Tensor:
    """Hinge generator loss ``-mean(D(fake))``, averaged over scales (same input forms as
    :func:`hinge_d_loss`)."""
    f = _logits(fake)
    return sum(-b.mean() for b in f) / len(f)


def feature_matching_loss(
    real: Sequence[Sequence[Tensor]], fake: Sequence[Sequence[Tensor]], *, skip_last: bool = True
) -> Tensor:
    """pix2pixHD discriminator feature matching: L1 between the discriminator's intermediate
    features on real and fake images, averaged over layers and scales.

    ``real[s][l]`` and ``fake[s][l]`` are the features of layer ``l`` at scale ``s``; real
    features are detached here. ``skip_last=True`` leaves out each scale's last element
    (the logits), as pix2pixHD does. 0 when the features are identical.
    """
    if len(real) != len(fake) or not real:
        raise ValueError(f"feature_matching_loss needs the same non-zero number of scales, got {len(real)} and {len(fake)}")
    total = 0.0
    for rs, fs in zip(real, fake):
        if len(rs) != len(fs):
            raise ValueError(f"scales have different numbers of features ({len(rs)} vs {len(fs)})")
        n = len(rs) - 1 if skip_last else len(rs)
        if n < 1:
            raise ValueError("feature_matching_loss needs at least one feature per scale besides the logits")
        total = total + sum(F.l1_loss(f, r.detach()) for r, f in zip(rs[:n], fs[:n])) / n
    return total / len(real)


# --------------------------------------------------------------------------- VGG19 perceptual
#: torchvision's VGG19 ("E") conv widths; "M" = 2x2 max-pool
_VGG19_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")

#: names of VGG19's ReLU outputs -> index in ``features`` (torchvision numbering)
VGG19_LAYERS: dict[str, int] = {}
_i, _block, _conv = 0, 1, 1
for _v in _VGG19_CFG:
    if _v == "M":
        _i += 1
        _block, _conv = _block + 1, 1
    else:
        VGG19_LAYERS[f"relu{_block}_{_conv}"] = _i + 1
        _i += 2
        _conv += 1
del _i, _block, _conv, _v


class VGGWeightsNotFoundError(FitroomError, FileNotFoundError):
    """The VGG19 weights file for the perceptual loss is missing or unusable."""

    code = "missing_weights"


class VGG19Features(nn.Module):
    """torchvision's ``vgg19().features`` up to index ``last`` (inclusive), with the same
    module numbering, so ``features.N.weight/bias`` keys of a torchvision state dict load."""

    def __init__(self, last: int = VGG19_LAYERS["relu5_1"]):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for v in _VGG19_CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(c_in, v, kernel_size=3, padding=1), nn.ReLU(inplace=False)]
                c_in = v
        self.features = nn.Sequential(*layers[: last + 1])

    def forward(self, x: Tensor, taps: Sequence[int]) -> list[Tensor]:
        """Outputs of the layers with indices ``taps`` (sorted ascending)."""
        out, want = [], set(taps)
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in want:
                out.append(x)
                if len(out) == len(want):
                    break
        return out


def _read_state_dict(path: Path) -> dict[str, Tensor]:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    sd = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    return sd


class VGGPerceptualLoss(nn.Module):
    """Perceptual loss: weighted L1 between frozen VGG19 features of prediction and target.

    ``weights_path`` is a local torchvision-format VGG19 state dict (``vgg19-dcbb9e9d.pth``,
    keys ``features.N.weight/bias``; ``classifier.*`` keys are ignored) as ``.pth`` or
    ``.safetensors``. Nothing is downloaded; a missing file raises
    :class:`VGGWeightsNotFoundError`. Inputs are [B,3,H,W] RGB in ``input_range`` (default
    [-1, 1]); they are mapped to [0, 1] and ImageNet-normalised. Default layers and weights are
    pix2pixHD's: relu1_1..relu5_1 with 1/32, 1/16, 1/8, 1/4, 1.
    """

    def __init__(
        self,
        weights_path: str | Path | None,
        *,
        layers: Sequence[str] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
        layer_weights: Sequence[float] = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0),
        input_range: tuple[float, float] = (-1.0, 1.0),
    ):
        super().__init__()
        if len(layers) != len(layer_weights):
            raise ValueError("layers and layer_weights must have the same length")
        unknown = [n for n in layers if n not in VGG19_LAYERS]
        if unknown:
            raise ValueError(f"unknown VGG19 layer(s) {unknown}; valid: {', '.join(VGG19_LAYERS)}")
        path = Path(weights_path) if weights_path else None
        if path is None or not path.is_file():
            raise VGGWeightsNotFoundError(
                f"The VGG19 perceptual loss needs torchvision's VGG19 weights (vgg19-dcbb9e9d.pth) "
                f"as a local file, but {'no path was given' if path is None else f'there is no file at {path}'}; "
                "copy the file onto this machine and pass its path (loss.vgg_weights), "
                "or set the perceptual loss weight to 0. fitroom never downloads weights."
            )
        order = sorted(range(len(layers)), key=lambda i: VGG19_LAYERS[layers[i]])
        self.taps = [VGG19_LAYERS[layers[i]] for i in order]
        self.layer_weights = [float(layer_weights[i]) for i in order]
        self.vgg = VGG19Features(last=max(self.taps))
        sd = _read_state_dict(path)
        own = self.vgg.state_dict()
        missing = [k for k in own if k not in sd]
        if missing:
            raise VGGWeightsNotFoundError(
                f"{path} is not a torchvision VGG19 state dict: it lacks {missing[:3]}"
                f"{' ...' if len(missing) > 3 else ''} (expected keys features.N.weight/bias)."
            )
        try:
            self.vgg.load_state_dict({k: sd[k] for k in own}, strict=True)
        except RuntimeError as e:
            raise VGGWeightsNotFoundError(f"{path} does not match VGG19's layer shapes: {e}") from e
        self.vgg.requires_grad_(False).eval()
        lo, hi = input_range
        self.register_buffer("in_lo", torch.tensor(float(lo)), persistent=False)
        self.register_buffer("in_scale", torch.tensor(float(hi - lo)), persistent=False)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True) -> VGGPerceptualLoss:
        super().train(mode)
        self.vgg.eval()  # frozen: never switch to training mode
        return self

    def _prep(self, x: Tensor) -> Tensor:
        return ((x - self.in_lo) / self.in_scale - self.mean) / self.std

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        fp = self.vgg(self._prep(pred), self.taps)
        with torch.no_grad():
            ft = self.vgg(self._prep(target), self.taps)
        return sum(w * F.l1_loss(a, b) for w, a, b in zip(self.layer_weights, fp, ft))
