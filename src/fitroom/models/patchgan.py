"""``patchgan-ms``: a multi-scale PatchGAN discriminator (pix2pixHD style) with spectral norm.

Each scale is an N-layer PatchGAN (4x4 convs, stride 2 for the first ``n_layers``, then
stride 1, LeakyReLU 0.2, spectral normalisation on every conv, no other normalisation)
producing a map of logits; scale ``s`` sees the input average-pooled ``s`` times
(3x3, stride 2). The input is ``concat(condition, image)`` along channels.

Spectral norm runs one power iteration per forward in train mode and none in eval mode
(the stored ``u``/``v`` vectors are part of the saved weights).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .person_repr import PERSON_CHANNELS
from .pretrained import PretrainedModel
from .registry import register

__all__ = ["DiscriminatorOutput", "MultiScalePatchGAN", "PatchGANConfig"]


@dataclass(frozen=True)
class PatchGANConfig:
    """Fields of ``patchgan-ms``.

    Attributes:
        condition_channels: channels of the condition (default: the person representation
            plus a warped garment, 33 + 3).
        image_channels: channels of the judged image.
        base_channels: channels of the first conv; doubled per layer up to 8x.
        n_layers: stride-2 convs per scale (receptive field 70 px for 3).
        num_scales: number of discriminators (2-3 typical).
        input_size: ``(H, W)`` the model is built / trained for (any size runs).
    """

    condition_channels: int = PERSON_CHANNELS + 3
    image_channels: int = 3
    base_channels: int = 32
    n_layers: int = 3
    num_scales: int = 2
    input_size: tuple[int, int] = (256, 192)

    def __post_init__(self) -> None:
        if self.base_channels < 1 or self.n_layers < 1 or self.num_scales < 1 or self.condition_channels < 0:
            raise ValueError(f"invalid patchgan-ms config: {self}")


@dataclass
class DiscriminatorOutput:
    """Result of :class:`MultiScalePatchGAN`.

    Attributes:
        logits: one ``[B, 1, h_s, w_s]`` map of raw logits per scale (finest first).
        features: per scale, the activations after every conv but the last (for a
            feature-matching loss), finest first.
    """

    logits: list[torch.Tensor]
    features: list[list[torch.Tensor]]


class _NLayer(nn.Module):
    def __init__(self, cin: int, base: int, n_layers: int) -> None:
        super().__init__()
        layers, prev = [], cin
        for i in range(n_layers + 1):
            c = base * min(2**i, 8)
            stride = 2 if i < n_layers else 1
            layers.append(nn.Sequential(spectral_norm(nn.Conv2d(prev, c, 4, stride, 1)), nn.LeakyReLU(0.2, inplace=False)))
            prev = c
        self.layers = nn.ModuleList(layers)
        self.out = spectral_norm(nn.Conv2d(prev, 1, 4, 1, 1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        feats = []
        for layer in self.layers:
            x = layer(x)
            feats.append(x)
        return self.out(x), feats


@register("patchgan-ms")
class MultiScalePatchGAN(PretrainedModel):
    """``forward(condition, image) -> DiscriminatorOutput``; ``condition`` ``[B,
    condition_channels, H, W]`` (may have 0 channels: pass ``None``), ``image`` ``[B,
    image_channels, H, W]`` in [-1, 1]."""

    config_class = PatchGANConfig
    normalization = "[-1,1]"

    def __init__(self, config: PatchGANConfig | None = None, **overrides: object) -> None:
        super().__init__(config, **overrides)
        c = self.config
        cin = c.condition_channels + c.image_channels
        self.scales = nn.ModuleList(_NLayer(cin, c.base_channels, c.n_layers) for _ in range(c.num_scales))

    def forward(self, condition: torch.Tensor | None, image: torch.Tensor) -> DiscriminatorOutput:
        c = self.config
        if image.shape[1] != c.image_channels:
            raise ValueError(f"image must have {c.image_channels} channels, got {image.shape[1]}")
        if condition is None:
            if c.condition_channels:
                raise ValueError(f"this discriminator needs a {c.condition_channels}-channel condition")
            x = image
        else:
            if condition.shape[1] != c.condition_channels or condition.shape[-2:] != image.shape[-2:]:
                raise ValueError(f"condition must be [B, {c.condition_channels}, {image.shape[-2]}, "
                                 f"{image.shape[-1]}], got {tuple(condition.shape)}")
            x = torch.cat([condition, image], dim=1)
        logits, features = [], []
        for i, d in enumerate(self.scales):
            if i > 0:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            lo, fe = d(x)
            logits.append(lo)
            features.append(fe)
        return DiscriminatorOutput(logits=logits, features=features)
