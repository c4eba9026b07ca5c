"""``warp-flow``: a learned garment warp by dense appearance flow (PF-AFN style).

Two small convolutional feature pyramids (one for the person representation of
:mod:`fitroom.models.person_repr`, one for the garment image + mask), a local correlation
(cost volume) at the coarsest level, a flow regressed there, then refined coarse to fine:
at each finer level the garment features are warped by the upsampled flow and a small head
predicts a residual flow from the person features and the warped garment features.

Flow convention
---------------
A flow is ``[B, 2, H, W]``, channels ``(dx, dy)`` (xy order), a *backward* displacement in
**normalised coordinates with ``align_corners=False``**: -1 and +1 are the outer edges of
the image (not the centres of the edge pixels), so one pixel is ``2 / W`` in x and
``2 / H`` in y. Output pixel ``p`` takes the garment at ``identity_grid(p) + flow(p)``
(``F.grid_sample(garment, grid, align_corners=False)``). With ``align_corners=False`` a
flow means the same physical displacement at every resolution, so flows are upsampled
with plain bilinear interpolation and no rescaling; a zero flow is the identity warp
(exact: pixel centres are sampled with interpolation weights 1 and 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .person_repr import PERSON_CHANNELS
from .pretrained import PretrainedModel
from .registry import register

__all__ = ["WarpFlow", "WarpFlowConfig", "WarpOutput", "flow_smoothness", "flow_to_grid", "identity_grid", "warp"]


# --- pure helpers -----------------------------------------------------------------------
def identity_grid(b: int, h: int, w: int, device: torch.device | str | None = None,
                  dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``[B, H, W, 2]`` grid of pixel centres in normalised ``align_corners=False`` coordinates (xy)."""
    ys = (torch.arange(h, device=device, dtype=dtype) * 2 + 1) / h - 1
    xs = (torch.arange(w, device=device, dtype=dtype) * 2 + 1) / w - 1
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy], dim=-1).unsqueeze(0).expand(b, h, w, 2)


def flow_to_grid(flow: torch.Tensor) -> torch.Tensor:
    """``[B, 2, H, W]`` flow -> ``[B, H, W, 2]`` sampling grid for ``grid_sample(align_corners=False)``."""
    b, _, h, w = flow.shape
    return identity_grid(b, h, w, flow.device, flow.dtype) + flow.permute(0, 2, 3, 1)


def warp(image: torch.Tensor, flow: torch.Tensor, padding_mode: str = "border", mode: str = "bilinear") -> torch.Tensor:
    """Backward-warp ``image`` ``[B, C, h, w]`` by ``flow`` ``[B, 2, H, W]`` (output at the
    flow's resolution; see the module docstring for the convention)."""
    if flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(f"flow must be [B, 2, H, W], got {tuple(flow.shape)}")
    return F.grid_sample(image, flow_to_grid(flow), mode=mode, padding_mode=padding_mode, align_corners=False)


def flow_smoothness(flow: torch.Tensor, order: int = 1, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Smoothness regulariser of a flow ``[B, 2, H, W]`` (a scalar, mean over pixels).

    ``order=1``: total variation, mean ``|f(x+1) - f(x)|`` over x and y neighbours (0 for
    a constant flow). ``order=2``: mean ``|f(x+1) - 2 f(x) + f(x-1)|`` (0 for any affine
    flow, so it penalises bending but not scaling or shear). The flow is expressed in
    pixels-per-pixel units (``dx * W / 2``, ``dy * H / 2``) so the value does not depend on
    the aspect ratio. ``mask`` ``[B, 1, H, W]`` (optional) weights the pixels.
    """
    if flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(f"flow must be [B, 2, H, W], got {tuple(flow.shape)}")
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order}")
    h, w = flow.shape[-2:]
    f = flow * flow.new_tensor([w / 2, h / 2]).view(1, 2, 1, 1)
    if order == 1:
        dx = (f[..., :, 1:] - f[..., :, :-1]).abs()
        dy = (f[..., 1:, :] - f[..., :-1, :]).abs()
        mx = my = None
        if mask is not None:
            mx, my = mask[..., :, 1:] * mask[..., :, :-1], mask[..., 1:, :] * mask[..., :-1, :]
    else:
        dx = (f[..., :, 2:] - 2 * f[..., :, 1:-1] + f[..., :, :-2]).abs()
        dy = (f[..., 2:, :] - 2 * f[..., 1:-1, :] + f[..., :-2, :]).abs()
        mx = my = None
        if mask is not None:
            mx = mask[..., :, 2:] * mask[..., :, 1:-1] * mask[..., :, :-2]
            my = mask[..., 2:, :] * mask[..., 1:-1, :] * mask[..., :-2, :]

    def _mean(d: torch.Tensor, m: torch.Tensor | None) -> torch.Tensor:
        if d.numel() == 0:
            return d.sum()
        if m is None:
            return d.mean()
        return (d * m).sum() / (m.sum() * 2).clamp_min(1.0)

    return _mean(dx, mx) + _mean(dy, my)


def local_correlation(a: torch.Tensor, b: torch.Tensor, radius: int) -> torch.Tensor:
    """Cost volume ``[B, (2r+1)^2, H, W]``: channel-mean of ``a(p) * b(p + d)`` for every
    displacement ``d`` in ``[-r, r]^2`` (row-major: dy outer, dx inner); zero outside ``b``."""
    h, w = a.shape[-2:]
    bp = F.pad(b, (radius, radius, radius, radius))
    out = [
        (a * bp[..., dy: dy + h, dx: dx + w]).mean(1, keepdim=True)
        for dy in range(2 * radius + 1)
        for dx in range(2 * radius + 1)
    ]
    return torch.cat(out, dim=1)


# --- network ----------------------------------------------------------------------------
@dataclass(frozen=True)
class WarpFlowConfig:
    """Fields of ``warp-flow``.

    Attributes:
        base_channels: channels of the finest pyramid level; level ``l`` has
            ``base_channels * min(2**l, max_mult)``.
        levels: pyramid levels, strides 2, 4, ..., ``2**levels``.
        max_mult: channel multiplier cap.
        corr_radius: displacement radius (in coarsest-level cells) of the cost volume.
        person_channels, garment_channels: input channels (person representation;
            garment RGB + mask).
        input_size: ``(H, W)`` the model is built / trained for (any size runs).
    """

    base_channels: int = 32
    levels: int = 4
    max_mult: int = 4
    corr_radius: int = 3
    person_channels: int = PERSON_CHANNELS
    garment_channels: int = 4
    input_size: tuple[int, int] = (256, 192)

    def __post_init__(self) -> None:
        if self.base_channels < 1 or self.levels < 1 or self.max_mult < 1 or self.corr_radius < 0:
            raise ValueError(f"invalid warp-flow config: {self}")


@dataclass
class WarpOutput:
    """Result of :class:`WarpFlow`.

    Attributes:
        flow: ``[B, 2, H, W]`` final flow at the input resolution (normalised,
            align_corners=False, see module docstring).
        warped_garment: ``[B, 3, H, W]`` garment sampled by ``flow`` (border padding).
        warped_mask: ``[B, 1, H, W]`` garment mask sampled by ``flow`` (zero padding), in [0, 1].
        flows: the flow of every level, coarsest first, each at its level's resolution
            (for multi-scale losses); the last entry is the finest level (stride 2).
    """

    flow: torch.Tensor
    warped_garment: torch.Tensor
    warped_mask: torch.Tensor
    flows: list[torch.Tensor] = field(default_factory=list)


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.LeakyReLU(0.1, inplace=True))


class _Pyramid(nn.Module):
    def __init__(self, cin: int, chans: list[int]) -> None:
        super().__init__()
        blocks, prev = [], cin
        for c in chans:
            blocks.append(nn.Sequential(_conv(prev, c, 2), _conv(c, c)))
            prev = c
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for blk in self.blocks:
            x = blk(x)
            feats.append(x)
        return feats  # finest first


def _flow_head(cin: int, mid: int) -> nn.Sequential:
    head = nn.Sequential(_conv(cin, mid), _conv(mid, max(mid // 2, 8)), nn.Conv2d(max(mid // 2, 8), 2, 3, 1, 1))
    last = head[-1]
    nn.init.normal_(last.weight, std=1e-3)  # start near the identity warp
    nn.init.zeros_(last.bias)
    return head


@register("warp-flow")
class WarpFlow(PretrainedModel):
    """Garment warp by coarse-to-fine dense appearance flow.

    ``forward(person, garment, garment_mask) -> WarpOutput`` with ``person`` the
    ``[B, PERSON_CHANNELS, H, W]`` representation, ``garment`` ``[B, 3, H, W]`` in [-1, 1]
    and ``garment_mask`` ``[B, 1, H, W]`` in [0, 1]. Any ``H, W`` works; features at level
    ``l`` are ``ceil(H / 2**(l+1))``.
    """

    config_class = WarpFlowConfig
    normalization = "[-1,1]"

    def __init__(self, config: WarpFlowConfig | None = None, **overrides: object) -> None:
        super().__init__(config, **overrides)
        c = self.config
        chans = [c.base_channels * min(2**i, c.max_mult) for i in range(c.levels)]
        self.person_pyramid = _Pyramid(c.person_channels, chans)
        self.garment_pyramid = _Pyramid(c.garment_channels, chans)
        ncorr = (2 * c.corr_radius + 1) ** 2
        top = chans[-1]
        self.coarse_head = _flow_head(ncorr + 2 * top, top)
        # refinement heads, finest first (index = level), for all but the coarsest level
        self.refine_heads = nn.ModuleList(_flow_head(2 * ch + 2, ch) for ch in chans[:-1])

    def forward(self, person: torch.Tensor, garment: torch.Tensor, garment_mask: torch.Tensor) -> WarpOutput:
        c = self.config
        if person.shape[1] != c.person_channels:
            raise ValueError(f"person representation must have {c.person_channels} channels, got {person.shape[1]}")
        if garment.shape[1] + garment_mask.shape[1] != c.garment_channels:
            raise ValueError(f"garment + mask must have {c.garment_channels} channels in all, got "
                             f"{garment.shape[1]} + {garment_mask.shape[1]}")
        if garment.shape[-2:] != person.shape[-2:] or garment_mask.shape[-2:] != person.shape[-2:]:
            raise ValueError(f"person {tuple(person.shape)}, garment {tuple(garment.shape)} and mask "
                             f"{tuple(garment_mask.shape)} must share H, W")
        fp = self.person_pyramid(person)
        fg = self.garment_pyramid(torch.cat([garment, garment_mask], dim=1))
        a, b = F.normalize(fp[-1], dim=1), F.normalize(fg[-1], dim=1)
        corr = local_correlation(a, b, c.corr_radius) * a.shape[1]  # cosine similarity
        flow = self.coarse_head(torch.cat([corr, fp[-1], fg[-1]], dim=1))
        flows = [flow]
        for lvl in range(c.levels - 2, -1, -1):
            size = fp[lvl].shape[-2:]
            flow = F.interpolate(flow, size=size, mode="bilinear", align_corners=False)
            wg = warp(fg[lvl], flow)
            flow = flow + self.refine_heads[lvl](torch.cat([fp[lvl], wg, flow], dim=1))
            flows.append(flow)
        full = F.interpolate(flow, size=person.shape[-2:], mode="bilinear", align_corners=False)
        return WarpOutput(
            flow=full,
            warped_garment=warp(garment, full, padding_mode="border"),
            warped_mask=warp(garment_mask, full, padding_mode="zeros").clamp(0, 1),
            flows=flows,
        )
