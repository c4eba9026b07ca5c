"""Training task of ``tryon-unet``: render the person wearing the warped garment.

A GAN: the generator ``tryon-unet`` against the multi-scale PatchGAN ``patchgan-ms``,
conditioned on ``concat(person representation, warped garment)``. Paired samples only: the
target is the person photo itself. Each training step alternates one discriminator update
(hinge loss on real photo vs detached result) and one generator update (weights from
:class:`~fitroom.training.tasks.TryOnLossConfig`): hinge adversarial, pix2pixHD feature
matching, L1, 1 - SSIM, optional VGG19 perceptual, and an L1 pull of the composition mask
towards the warped mask. Separate learning rates (``optim.lr_g`` / ``optim.lr_d``); an EMA
of the generator is kept when ``train.ema_modules`` names ``gen``.

Where the warped garment comes from
-----------------------------------
* ``model.params.warp_checkpoint: <dir>``: a trained ``warp-flow`` saved with
  ``save_pretrained`` (e.g. ``fitroom train warp``'s ``RUN/final``), loaded with
  :func:`fitroom.models.load`, frozen (eval mode, no gradients, not checkpointed). This is
  how a generator meant for real use must be trained: it then learns to repair the warp's
  mistakes, as it will have to at inference.
* Otherwise **teacher forcing**: the warped garment is the ground-truth worn garment cut
  out of the person photo (``person * m``, ``m`` = upper clothes / dress / coat; its mask is
  ``m``). The generator then never sees an imperfect warp, and the composition mask learns to
  copy the (perfect) garment, so the result does not transfer to warped product photos.
  **Use it only to bootstrap (before a warp model exists) and in tests.**
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from fitroom.models.patchgan import MultiScalePatchGAN
from fitroom.models.person_repr import person_representation_from_batch
from fitroom.models.tryon_unet import TryOnOutput, TryOnUNet
from fitroom.models.warp_flow import WarpFlow

from ..losses import (
    VGGPerceptualLoss,
    feature_matching_loss,
    hinge_d_loss,
    hinge_g_loss,
    l1_loss,
    ssim_loss,
)
from ..trainer import TaskBase
from . import TryOnLossConfig, build_model, worn_garment

__all__ = ["TryOnTask", "load_frozen_warp"]

#: keys of ``model.params`` that configure the task, not the generator's architecture
TASK_PARAMS = ("warp_checkpoint", "disc")


def load_frozen_warp(directory: str | Path, device: str | torch.device = "cpu") -> WarpFlow:
    """A saved ``warp-flow`` from ``directory``, in eval mode with gradients off."""
    from fitroom import models as fm

    from ..config import ConfigError

    model = fm.load(directory, device=device)
    if not isinstance(model, WarpFlow):
        raise ConfigError(f"model.params.warp_checkpoint: {directory} holds a '{model.architecture}' model, "
                          "not a 'warp-flow'.")
    return model.eval().requires_grad_(False)


class TryOnTask(TaskBase):
    """Trains ``gen`` (a :class:`~fitroom.models.TryOnUNet`) against ``disc`` (a
    :class:`~fitroom.models.MultiScalePatchGAN` whose condition is the person
    representation plus the warped garment).

    Args:
        gen, disc: the networks.
        loss: loss weights.
        lr_g, lr_d, betas, weight_decay: Adam(W) settings of the two optimizers.
        warp: a frozen warp model, or None for teacher forcing (see the module docstring).
        vgg: perceptual loss module; required when ``loss.perceptual > 0``.
    """

    generator_name = "gen"

    def __init__(self, gen: TryOnUNet, disc: MultiScalePatchGAN, loss: TryOnLossConfig | None = None, *,
                 lr_g: float = 2e-4, lr_d: float = 4e-4, betas: tuple[float, float] = (0.5, 0.999),
                 weight_decay: float = 0.0, warp: WarpFlow | None = None, vgg: VGGPerceptualLoss | None = None):
        self.gen, self.disc = gen, disc
        self.loss = loss or TryOnLossConfig()
        if self.loss.perceptual > 0 and vgg is None:
            raise ValueError("loss.perceptual > 0 needs a VGG perceptual loss (loss.vgg_weights)")
        want = gen.config.person_channels + 3
        if disc.config.condition_channels != want:
            raise ValueError(f"the discriminator's condition must have {want} channels (person representation + "
                             f"warped garment), it has {disc.config.condition_channels}")
        self.warp = warp.eval().requires_grad_(False) if warp is not None else None
        self.vgg = vgg
        opt_cls = torch.optim.AdamW if weight_decay > 0 else torch.optim.Adam
        self.opt_g = opt_cls(gen.parameters(), lr=lr_g, betas=tuple(betas), weight_decay=weight_decay)
        self.opt_d = opt_cls(disc.parameters(), lr=lr_d, betas=tuple(betas), weight_decay=weight_decay)

    @property
    def teacher_forcing(self) -> bool:
        """True when the warped garment is the ground-truth worn garment (no warp model)."""
        return self.warp is None

    @classmethod
    def from_config(cls, cfg: Any) -> TryOnTask:
        """From a :class:`~fitroom.training.tasks.TryOnExperimentConfig`."""
        from ..config import ConfigError

        params = dict(cfg.model.params)
        warp_dir = params.pop("warp_checkpoint", None) or None
        disc_params = params.pop("disc", None) or {}
        if not isinstance(disc_params, dict):
            raise ConfigError(f"model.params.disc must be a mapping of patchgan-ms fields, got {disc_params!r}.")
        gen = build_model(cfg.model.name, params, cfg.data.size)
        disc_params = {"base_channels": gen.config.base_channels,
                       "condition_channels": gen.config.person_channels + 3, **disc_params}
        disc = build_model("patchgan-ms", disc_params, cfg.data.size, where="model.params.disc")
        warp = load_frozen_warp(warp_dir) if warp_dir else None
        vgg = VGGPerceptualLoss(cfg.loss.vgg_weights or None) if cfg.loss.perceptual > 0 else None
        return cls(gen, disc, cfg.loss, lr_g=cfg.optim.lr_g, lr_d=cfg.optim.lr_d, betas=cfg.optim.betas,
                   weight_decay=cfg.optim.weight_decay, warp=warp, vgg=vgg)

    # ----------------------------------------------------------------- Task protocol
    def models(self) -> dict[str, nn.Module]:
        return {"gen": self.gen, "disc": self.disc}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"gen": self.opt_g, "disc": self.opt_d}

    def attach(self, ctx) -> None:
        super().attach(ctx)
        for m in (self.warp, self.vgg):
            if m is not None:
                m.to(ctx.device)

    # ----------------------------------------------------------------- pieces
    @torch.no_grad()
    def warped(self, batch: dict, person: Tensor) -> tuple[Tensor, Tensor]:
        """``(warped_garment, warped_mask)``: from the frozen warp model, or the ground-truth
        worn garment under teacher forcing."""
        if self.warp is None:
            return worn_garment(batch)
        out = self.warp(person, batch["garment"], batch["garment_mask"])
        return out.warped_garment, out.warped_mask

    def inputs(self, batch: dict) -> tuple[Tensor, Tensor, Tensor]:
        """``(person representation, warped garment, warped mask)`` of a batch."""
        person = person_representation_from_batch(batch)
        wg, wm = self.warped(batch, person)
        return person, wg, wm

    def step(self, batch: dict, *, train: bool) -> dict[str, float]:
        w = self.loss
        person, wg, wm = self.inputs(batch)
        real = batch["person"]
        cond = torch.cat([person, wg], dim=1)
        with self.ctx.autocast():
            out: TryOnOutput = self.gen(person, wg, wm)
            d_real = self.disc(cond, real)
            d_fake = self.disc(cond, out.image.detach())
            loss_d = hinge_d_loss(d_real.logits, d_fake.logits)
        if train:
            self.ctx.optimize(loss_d, "disc")
        real_feats = [[f.detach() for f in scale] for scale in d_real.features]

        need_d = w.adversarial > 0 or w.feature_matching > 0
        self.disc.requires_grad_(False)  # the generator update needs no discriminator gradients
        try:
            with self.ctx.autocast():
                terms: dict[str, Tensor] = {}
                if need_d:
                    d_gen = self.disc(cond, out.image)
                    if w.adversarial > 0:
                        terms["g_adv"] = w.adversarial * hinge_g_loss(d_gen.logits)
                    if w.feature_matching > 0:
                        terms["g_fm"] = w.feature_matching * feature_matching_loss(real_feats, d_gen.features)
                img = out.image.float()
                if w.l1 > 0:
                    terms["g_l1"] = w.l1 * l1_loss(img, real)
                if w.ssim > 0:
                    terms["g_ssim"] = w.ssim * ssim_loss(img, real)
                if w.perceptual > 0 and self.vgg is not None:
                    terms["g_vgg"] = w.perceptual * self.vgg(img, real)
                if w.composition_mask > 0:
                    terms["g_mask"] = w.composition_mask * l1_loss(out.composition_mask.float(), wm)
                loss_g = sum(terms.values()) if terms else img.new_zeros(())
        finally:
            self.disc.requires_grad_(True)
        if train:
            self.ctx.optimize(loss_g, "gen")
        logs = {"loss_g": float(loss_g.detach()), "loss_d": float(loss_d.detach())}
        logs.update({k: float(v.detach()) for k, v in terms.items()})
        with torch.no_grad():
            logs["l1_raw"] = float((out.image.float() - real).abs().mean())
        return logs

    @torch.no_grad()
    def sample_images(self, batch: dict) -> dict[str, Tensor]:
        """Rows: person, garment, warped garment, rendered person, composition mask (in
        [-1, 1] like the images), result (EMA generator when kept)."""
        person, wg, wm = self.inputs(batch)
        out = self.ctx.ema_or_model("gen")(person, wg, wm)
        return {
            "person": batch["person"],
            "garment": batch["garment"],
            "warped": wg * wm,
            "rendered": out.rendered,
            "composition_mask": out.composition_mask * 2 - 1,
            "result": out.image,
        }
