"""``tryon-unet``: the try-on generator, a U-Net that renders the person wearing the warped garment.

Input: the person representation (:mod:`fitroom.models.person_repr`, ``PERSON_CHANNELS``)
concatenated with the warped garment (3, in [-1, 1]) and its warped mask (1, in [0, 1]).
Output (CP-VTON's TOM formulation): a rendered person ``rendered`` (tanh, [-1, 1]) and a
composition mask ``m`` (sigmoid, [0, 1]); the try-on image is
``m * warped_garment + (1 - m) * rendered``, so the garment's own pixels are used wherever
the network trusts the warp.

Encoder: ``depth`` stride-2 stages (conv + conv, each InstanceNorm + LeakyReLU), channels
``base_channels * min(2**l, max_mult)`` at stride ``2**(l+1)``; decoder: bilinear
upsampling, concatenation with the skip, two convs. Only one narrow conv
(``base_channels // 2``) runs at full resolution, on the upsampled features concatenated
with the inputs themselves (full-resolution convs dominate CPU time). Any input size runs
(upsampling goes to the skip's exact size).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .person_repr import PERSON_CHANNELS
from .pretrained import PretrainedModel
from .registry import register

__all__ = ["TryOnOutput", "TryOnUNet", "TryOnUNetConfig"]


@dataclass(frozen=True)
class TryOnUNetConfig:
    """Fields of ``tryon-unet``.

    Attributes:
        base_channels: channels at stride 2 (half that at full resolution).
        depth: number of stride-2 downsamplings (the deepest features are at ``2**depth``).
        max_mult: channel multiplier cap.
        person_channels: channels of the person representation.
        garment_channels: warped garment RGB + warped mask.
        input_size: ``(H, W)`` the model is built / trained for (any size runs).
    """

    base_channels: int = 32
    depth: int = 5
    max_mult: int = 8
    person_channels: int = PERSON_CHANNELS
    garment_channels: int = 4
    input_size: tuple[int, int] = (256, 192)

    def __post_init__(self) -> None:
        if self.base_channels < 1 or self.depth < 1 or self.max_mult < 1:
            raise ValueError(f"invalid tryon-unet config: {self}")


@dataclass
class TryOnOutput:
    """Result of :class:`TryOnUNet`.

    Attributes:
        image: ``[B, 3, H, W]`` in [-1, 1]: ``composition_mask * warped_garment +
            (1 - composition_mask) * rendered``.
        rendered: ``[B, 3, H, W]`` in [-1, 1] (tanh).
        composition_mask: ``[B, 1, H, W]`` in [0, 1] (sigmoid).
    """

    image: torch.Tensor
    rendered: torch.Tensor
    composition_mask: torch.Tensor


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
        nn.InstanceNorm2d(cout, affine=True),
        nn.LeakyReLU(0.2, inplace=True),
    )


@register("tryon-unet")
class TryOnUNet(PretrainedModel):
    """``forward(person, warped_garment, warped_mask) -> TryOnOutput``.

    ``person`` ``[B, PERSON_CHANNELS, H, W]``, ``warped_garment`` ``[B, 3, H, W]`` in
    [-1, 1], ``warped_mask`` ``[B, 1, H, W]`` in [0, 1] (e.g. from ``warp-flow``).
    """

    config_class = TryOnUNetConfig
    normalization = "[-1,1]"

    def __init__(self, config: TryOnUNetConfig | None = None, **overrides: object) -> None:
        super().__init__(config, **overrides)
        c = self.config
        cin = c.person_channels + c.garment_channels
        ch = [c.base_channels * min(2**i, c.max_mult) for i in range(c.depth)]  # strides 2 .. 2**depth
        self.down = nn.ModuleList(
            nn.Sequential(_block(ch[i - 1] if i else cin, ch[i], 2), _block(ch[i], ch[i])) for i in range(c.depth)
        )
        # up[i] goes from level i+1 to level i
        self.up = nn.ModuleList(nn.Sequential(_block(ch[i + 1] + ch[i], ch[i]), _block(ch[i], ch[i]))
                                for i in range(c.depth - 1))
        # full resolution: the upsampled features and the inputs themselves, one narrow conv
        full = max(c.base_channels // 2, 4)
        self.full = nn.Sequential(nn.Conv2d(ch[0] + cin, full, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True))
        self.head = nn.Conv2d(full, 4, 3, 1, 1)

    def forward(self, person: torch.Tensor, warped_garment: torch.Tensor, warped_mask: torch.Tensor) -> TryOnOutput:
        c = self.config
        if person.shape[1] != c.person_channels:
            raise ValueError(f"person representation must have {c.person_channels} channels, got {person.shape[1]}")
        if warped_garment.shape[1] + warped_mask.shape[1] != c.garment_channels:
            raise ValueError(f"warped garment + mask must have {c.garment_channels} channels in all, got "
                             f"{warped_garment.shape[1]} + {warped_mask.shape[1]}")
        if warped_garment.shape[-2:] != person.shape[-2:] or warped_mask.shape[-2:] != person.shape[-2:]:
            raise ValueError("person, warped garment and warped mask must share H, W")
        inp = torch.cat([person, warped_garment, warped_mask], dim=1)
        x, skips = inp, []
        for blk in self.down:
            x = blk(x)
            skips.append(x)
        for i in range(c.depth - 2, -1, -1):
            skip = skips[i]
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = self.up[i](torch.cat([x, skip], dim=1))
        x = F.interpolate(x, size=inp.shape[-2:], mode="bilinear", align_corners=False)
        x = self.full(torch.cat([x, inp], dim=1))
        out = self.head(x)
        rendered = torch.tanh(out[:, :3])
        mask = torch.sigmoid(out[:, 3:4])
        image = mask * warped_garment + (1 - mask) * rendered
        return TryOnOutput(image=image, rendered=rendered, composition_mask=mask)
