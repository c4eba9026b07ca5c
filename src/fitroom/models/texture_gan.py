"""``texture-gan``: a DCGAN-class generator of seamlessly tileable fabric prints.

``z [B, z_dim]`` -> a linear layer to a ``channels[0] x 4 x 4`` map -> per stage: nearest
2x upsampling, a 3x3 convolution, BatchNorm, ReLU -> a 3x3 convolution to RGB and ``tanh``.
Every convolution pads **circularly**, so the 4x4 start map is treated as periodic and every
later map stays periodic: the output of size ``4 * 2**(len(channels))`` is one period of a
texture that tiles without seams (exactly, not approximately; see the tests).

It is trained against the multi-scale spectral-norm PatchGAN ``patchgan-ms`` (with no
condition channels) with the hinge loss, keeping an EMA of the generator (see
:mod:`fitroom.training.tasks.texture_gan`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .pretrained import PretrainedModel
from .registry import register

__all__ = ["TextureGAN", "TextureGANConfig"]


@dataclass(frozen=True)
class TextureGANConfig:
    """Fields of ``texture-gan``.

    Attributes:
        z_dim: size of the latent code.
        channels: widths of the 4x4 start map and of each upsampling stage's output but the
            last; ``len(channels)`` stages, so the output side is ``4 * 2**len(channels)``.
        input_size: ``(H, W)`` of the generated patch (recorded in ``config.json``); must be
            ``4 * 2**len(channels)`` square.
    """

    z_dim: int = 64
    channels: tuple[int, ...] = (256, 128, 64, 32)
    input_size: tuple[int, int] = (64, 64)

    def __post_init__(self) -> None:
        if self.z_dim < 1 or not self.channels or any(c < 1 for c in self.channels):
            raise ValueError(f"invalid texture-gan config: {self}")
        side = 4 * 2 ** len(self.channels)
        if tuple(self.input_size) != (side, side):
            raise ValueError(f"texture-gan: {len(self.channels)} stages make {side}x{side} patches; "
                             f"input_size must be ({side}, {side}), got {tuple(self.input_size)}")

    @property
    def size(self) -> int:
        return 4 * 2 ** len(self.channels)


def _conv(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, 1, 1, padding_mode="circular")


@register("texture-gan")
class TextureGAN(PretrainedModel):
    """``forward(z) -> [B, 3, S, S]`` patches in [-1, 1] that tile seamlessly."""

    config_class = TextureGANConfig
    normalization = "[-1,1]"

    def __init__(self, config: TextureGANConfig | None = None, **overrides: object) -> None:
        super().__init__(config, **overrides)
        c = self.config
        ch = list(c.channels)
        self.project = nn.Linear(c.z_dim, ch[0] * 16)
        self.start_norm = nn.BatchNorm2d(ch[0])
        stages = []
        for i in range(len(ch)):
            cin = ch[i]
            cout = ch[i + 1] if i + 1 < len(ch) else ch[-1]
            stages.append(nn.Sequential(_conv(cin, cout), nn.BatchNorm2d(cout), nn.ReLU()))
        self.stages = nn.ModuleList(stages)
        self.to_rgb = _conv(ch[-1], 3)

    def start(self, z: Tensor) -> Tensor:
        """``z [B, z_dim]`` -> the periodic start map ``[B, channels[0], 4, 4]``."""
        c = self.config
        if z.ndim != 2 or z.shape[1] != c.z_dim:
            raise ValueError(f"texture-gan: z must be [B, {c.z_dim}], got {tuple(z.shape)}")
        return F.relu(self.start_norm(self.project(z).view(z.shape[0], c.channels[0], 4, 4)))

    def synthesize(self, h: Tensor) -> Tensor:
        """A start map ``[B, channels[0], h, w]`` -> RGB ``[B, 3, h * 2**stages, w * 2**stages]``.
        Circularly shifting the start map by one cell shifts the output by ``2**stages``
        pixels; a larger start map gives a larger (still tileable) texture."""
        for stage in self.stages:
            h = stage(F.interpolate(h, scale_factor=2, mode="nearest"))
        return torch.tanh(self.to_rgb(h))

    def forward(self, z: Tensor) -> Tensor:
        return self.synthesize(self.start(z))

    def sample_z(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        """``n`` codes from ``N(0, I)`` on the model's device (``generator`` on the CPU)."""
        p = next(self.parameters())
        return torch.randn(n, self.config.z_dim, generator=generator).to(device=p.device, dtype=p.dtype)

    @torch.no_grad()
    def generate(self, n: int, *, seed: int = 0) -> Tensor:
        """``n`` patches in [-1, 1] from codes drawn with ``seed`` (eval mode is the caller's)."""
        g = torch.Generator().manual_seed(int(seed))
        return self(self.sample_z(n, generator=g))
