"""Training task of ``warp-flow``: learn to move the product-photo garment onto the body.

Paired samples only: the person photo shows the garment of the product photo, so the
*worn garment* (``person * m``, ``m`` the parse mask of upper clothes / dress / coat, see
:func:`fitroom.training.tasks.worn_garment`) is the target of the warp.

Inputs: the person representation (:func:`fitroom.models.person_representation_from_batch`:
cloth-agnostic image, pose heatmaps, kept body regions; it does not show the worn garment),
the garment ``[B,3,H,W]`` and its mask. Losses (weights from :class:`WarpLossConfig`):

* ``l1``: L1 between the warped garment and the worn garment, inside ``m``;
* ``mask``: L1 (or BCE, ``mask_loss``) between the warped mask and ``m``;
* ``levels``: the same two terms for every coarser flow level (upsampled to full size),
  averaged over the levels; this is the multi-level supervision of PF-AFN / ClothFlow;
* ``perceptual``: VGG19 perceptual loss of the warped garment vs the worn garment (both
  masked with ``m``), when ``vgg_weights`` names a local weights file;
* ``tv``: :func:`fitroom.models.flow_smoothness` of every level's flow (``tv_order`` 1 or 2);
* ``flow``: end-point error (pixels) against the exact flow, where the data has it (fitroom's
  synthetic data: ``texture-coords/``, :mod:`fitroom.data.texture_coords`), inside the worn
  garment, for the final flow plus ``levels`` times the coarser levels' (upsampled). Its
  error ``epe_px`` is logged whenever the data has the exact flow, whatever the weight.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from fitroom.models.person_repr import person_representation_from_batch
from fitroom.models.warp_flow import WarpFlow, WarpOutput, flow_smoothness, warp

from ..losses import VGGPerceptualLoss, l1_loss
from ..trainer import TaskBase
from . import NoExactFlowError, WarpLossConfig, build_model, worn_garment

__all__ = ["WarpTask"]


def _epe(flow: Tensor, batch: dict) -> Tensor:
    """Mean end-point error, in pixels of the network resolution, of ``flow`` [B, 2, H, W]
    against the exact ``batch["garment_flow"]`` over ``batch["garment_flow_valid"]``."""
    gt, valid = batch["garment_flow"].float(), batch["garment_flow_valid"].float()
    h, w = gt.shape[-2:]
    d = (flow.float() - gt) * gt.new_tensor([w / 2, h / 2]).view(1, 2, 1, 1)
    err = torch.sqrt((d * d).sum(1, keepdim=True) + 1e-6)
    return (err * valid).sum() / valid.sum().clamp_min(1.0)


class WarpTask(TaskBase):
    """Trains a :class:`~fitroom.models.WarpFlow` (model name ``"warp"``, one optimizer).

    Args:
        model: the warp network.
        loss: loss weights.
        lr, betas, weight_decay: Adam(W) settings.
        vgg: an optional perceptual loss module (built from ``loss.vgg_weights`` by
            :meth:`from_config`); required when ``loss.perceptual > 0``.
    """

    generator_name = "warp"

    def __init__(self, model: WarpFlow, loss: WarpLossConfig | None = None, *, lr: float = 2e-4,
                 betas: tuple[float, float] = (0.5, 0.999), weight_decay: float = 0.0,
                 vgg: VGGPerceptualLoss | None = None):
        self.warp = model
        self.loss = loss or WarpLossConfig()
        if self.loss.perceptual > 0 and vgg is None:
            raise ValueError("loss.perceptual > 0 needs a VGG perceptual loss (loss.vgg_weights)")
        if self.loss.tv_order not in (1, 2):
            raise ValueError(f"loss.tv_order must be 1 or 2, got {self.loss.tv_order}")
        self.vgg = vgg
        opt_cls = torch.optim.AdamW if weight_decay > 0 else torch.optim.Adam
        self.opt = opt_cls(model.parameters(), lr=lr, betas=tuple(betas), weight_decay=weight_decay)

    @classmethod
    def from_config(cls, cfg: Any) -> WarpTask:
        """From a :class:`~fitroom.training.tasks.WarpExperimentConfig`."""
        from ..config import ConfigError

        if cfg.loss.tv_order not in (1, 2):
            raise ConfigError(f"loss.tv_order must be 1 or 2, got {cfg.loss.tv_order}.")
        model = build_model(cfg.model.name, dict(cfg.model.params), cfg.data.size)
        vgg = None
        if cfg.loss.perceptual > 0:
            vgg = VGGPerceptualLoss(cfg.loss.vgg_weights or None)
        return cls(model, cfg.loss, lr=cfg.optim.lr_g, betas=cfg.optim.betas,
                   weight_decay=cfg.optim.weight_decay, vgg=vgg)

    # ----------------------------------------------------------------- Task protocol
    def models(self) -> dict[str, torch.nn.Module]:
        return {"warp": self.warp}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"warp": self.opt}

    def attach(self, ctx) -> None:
        super().attach(ctx)
        if self.vgg is not None:
            self.vgg.to(ctx.device)

    # ----------------------------------------------------------------- losses
    def _mask_term(self, pred: Tensor, target: Tensor) -> Tensor:
        if self.loss.mask_loss == "bce":
            return F.binary_cross_entropy(pred.float().clamp(1e-4, 1 - 1e-4), target.float())
        return (pred.float() - target.float()).abs().mean()

    def losses(self, out: WarpOutput, batch: dict, target: Tensor, tmask: Tensor) -> dict[str, Tensor]:
        """Every loss term (weighted) and their sum ``loss``."""
        w = self.loss
        terms: dict[str, Tensor] = {}
        if w.l1 > 0:
            terms["l1"] = w.l1 * l1_loss(out.warped_garment.float(), target.float(), tmask)
        if w.mask > 0:
            terms["mask"] = w.mask * self._mask_term(out.warped_mask, tmask)
        coarse = out.flows[:-1]
        if w.levels > 0 and coarse:
            size = target.shape[-2:]
            acc = target.new_zeros(())
            for f in coarse:
                up = F.interpolate(f, size=size, mode="bilinear", align_corners=False)
                if w.l1 > 0:
                    wg = warp(batch["garment"], up, padding_mode="border")
                    acc = acc + w.l1 * l1_loss(wg.float(), target.float(), tmask)
                if w.mask > 0:
                    wm = warp(batch["garment_mask"], up, padding_mode="zeros").clamp(0, 1)
                    acc = acc + w.mask * self._mask_term(wm, tmask)
            terms["levels"] = w.levels * acc / len(coarse)
        if w.flow > 0:
            if "garment_flow" not in batch:
                raise NoExactFlowError("this batch")
            size = target.shape[-2:]
            acc = _epe(out.flow, batch)
            if coarse and w.levels > 0:
                acc = acc + w.levels * sum(_epe(F.interpolate(f, size=size, mode="bilinear", align_corners=False), batch)
                                           for f in coarse) / len(coarse)
            terms["flow"] = w.flow * acc
        if w.perceptual > 0 and self.vgg is not None:
            terms["perceptual"] = w.perceptual * self.vgg(out.warped_garment * tmask, target)
        if w.tv > 0:
            flows = out.flows or [out.flow]
            terms["tv"] = w.tv * sum(flow_smoothness(f.float(), order=w.tv_order) for f in flows) / len(flows)
        terms["loss"] = sum(terms.values()) if terms else target.new_zeros(())
        return terms

    def forward(self, batch: dict, model: torch.nn.Module | None = None) -> WarpOutput:
        model = model if model is not None else self.warp
        person = person_representation_from_batch(batch)
        return model(person, batch["garment"], batch["garment_mask"])

    def step(self, batch: dict, *, train: bool) -> dict[str, float]:
        target, tmask = worn_garment(batch)
        with self.ctx.autocast():
            out = self.forward(batch)
            terms = self.losses(out, batch, target, tmask)
        if train:
            self.ctx.optimize(terms["loss"], "warp")
        with torch.no_grad():
            # how much of the worn garment the warped mask covers (intersection over union)
            inter = (out.warped_mask.float() * tmask).sum((1, 2, 3))
            union = (out.warped_mask.float() + tmask - out.warped_mask.float() * tmask).sum((1, 2, 3))
            iou = (inter / union.clamp_min(1e-6)).mean()
        logs = {k: float(v.detach()) for k, v in terms.items()}
        logs["mask_iou"] = float(iou)
        if "garment_flow" in batch:  # the exact flow is known (synthetic data): its error, in pixels
            with torch.no_grad():
                logs["epe_px"] = float(_epe(out.flow, batch))
        return logs

    @torch.no_grad()
    def sample_images(self, batch: dict) -> dict[str, Tensor]:
        """Rows: garment, warped garment (EMA when kept), target (worn garment), person, and the
        warped garment pasted on the person where its warped mask is."""
        out = self.forward(batch, self.ctx.ema_or_model("warp"))
        target, _ = worn_garment(batch)
        person = batch["person"]
        wm = out.warped_mask
        return {
            "garment": batch["garment"],
            "warped": out.warped_garment * wm,
            "target": target,
            "person": person,
            "overlay": wm * out.warped_garment + (1 - wm) * person,
        }
