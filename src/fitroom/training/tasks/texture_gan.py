"""Training task of ``texture-gan``: tileable prints against a spectral-norm PatchGAN.

Data: a texture set written by ``fitroom data textures`` (:mod:`fitroom.data.textures`),
read by :class:`~fitroom.data.garmentgen_dataset.TexturePatchDataset` (random circular
shifts, flips and transposes). Each step: one discriminator update with the hinge loss on
real patches vs detached generated ones, then one generator update with the hinge generator
loss; the discriminator is ``patchgan-ms`` with no condition (spectral norm on every conv,
two scales). Keep an EMA of ``gen`` (``train.ema_modules: [gen]``): the saved model is the
EMA generator. Codes come from torch's global generator, which the trainer seeds and
checkpoints (exact resume).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from fitroom.models.patchgan import MultiScalePatchGAN
from fitroom.models.texture_gan import TextureGAN

from ..losses import hinge_d_loss, hinge_g_loss
from ..trainer import TaskBase
from . import TextureGANLossConfig, build_model

__all__ = ["TextureGANTask", "recalibrate_batchnorm"]


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, inputs) -> bool:
    """Reset the BatchNorm running statistics of ``model`` and measure them again as the
    plain average over ``inputs`` (an iterable of model inputs), in train mode; the model is
    left in eval mode. Returns False (and changes nothing) when it has no BatchNorm."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return False
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    model.train()
    for x in inputs:
        model(x)
    for m, mom in zip(bns, momenta):
        m.momentum = mom
    model.eval()
    return True


class TextureGANTask(TaskBase):
    """Trains ``gen`` (:class:`~fitroom.models.TextureGAN`) against ``disc``
    (:class:`~fitroom.models.MultiScalePatchGAN`, ``condition_channels=0``)."""

    generator_name = "gen"

    def __init__(self, gen: TextureGAN, disc: MultiScalePatchGAN, loss: TextureGANLossConfig | None = None, *,
                 lr_g: float = 2e-4, lr_d: float = 2e-4, betas: tuple[float, float] = (0.0, 0.99)):
        if disc.config.condition_channels != 0 or disc.config.image_channels != 3:
            raise ValueError("the texture discriminator must take a bare RGB image (condition_channels=0)")
        self.gen, self.disc = gen, disc
        self.loss = loss or TextureGANLossConfig()
        self.opt_g = torch.optim.Adam(gen.parameters(), lr=lr_g, betas=tuple(betas))
        self.opt_d = torch.optim.Adam(disc.parameters(), lr=lr_d, betas=tuple(betas))

    @classmethod
    def from_config(cls, cfg: Any) -> TextureGANTask:
        from ..config import ConfigError

        params = dict(cfg.model.params)
        disc_params = params.pop("disc", None) or {}
        if not isinstance(disc_params, dict):
            raise ConfigError(f"model.params.disc must be a mapping of patchgan-ms fields, got {disc_params!r}.")
        gen = build_model(cfg.model.name, params, cfg.data.size)
        disc_params = {"condition_channels": 0, "image_channels": 3, "base_channels": 32, "n_layers": 3,
                       "num_scales": 2, **disc_params}
        disc = build_model("patchgan-ms", disc_params, cfg.data.size, where="model.params.disc")
        return cls(gen, disc, cfg.loss, lr_g=cfg.optim.lr_g, lr_d=cfg.optim.lr_d, betas=cfg.optim.betas)

    def models(self) -> dict[str, nn.Module]:
        return {"gen": self.gen, "disc": self.disc}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"gen": self.opt_g, "disc": self.opt_d}

    def step(self, batch: dict, *, train: bool) -> dict[str, float]:
        real = batch["patch"]
        n = real.shape[0]
        z = torch.randn(n, self.gen.config.z_dim).to(real.device)
        with self.ctx.autocast():
            fake = self.gen(z)
            d_real = self.disc(None, real).logits
            d_fake = self.disc(None, fake.detach()).logits
            loss_d = hinge_d_loss(d_real, d_fake)
        if train:
            self.ctx.optimize(loss_d, "disc")
        self.disc.requires_grad_(False)
        try:
            with self.ctx.autocast():
                loss_g = self.loss.adversarial * hinge_g_loss(self.disc(None, fake).logits)
        finally:
            self.disc.requires_grad_(True)
        if train:
            self.ctx.optimize(loss_g, "gen")
        with torch.no_grad():
            real_score = sum(t.mean() for t in d_real) / len(d_real)
            fake_score = sum(t.mean() for t in d_fake) / len(d_fake)
        return {"loss_d": float(loss_d.detach()), "loss_g": float(loss_g.detach()),
                "d_real": float(real_score), "d_fake": float(fake_score)}

    @torch.no_grad()
    def recalibrate(self, model: nn.Module, dataset=None, batches: int = 50, batch_size: int = 64) -> None:
        """Re-measure the BatchNorm statistics of ``model`` (the EMA generator, whose copied
        statistics belong to the live weights) on ``batches`` batches of prior codes; leaves
        it in eval mode."""
        recalibrate_batchnorm(model, (torch.randn(batch_size, model.config.z_dim,
                                                  device=next(model.parameters()).device) for _ in range(batches)))

    @torch.no_grad()
    def sample_images(self, batch: dict) -> dict[str, Tensor]:
        """Rows: real patches, EMA generator samples from fixed codes, and the same samples
        rolled by half a period (a seam would show as a cross in the middle)."""
        g = self.ctx.ema_or_model("gen")
        real = batch["patch"]
        z = torch.randn(real.shape[0], g.config.z_dim, generator=torch.Generator().manual_seed(0)).to(real.device)
        fake = g(z)
        s = fake.shape[-1] // 2
        return {"real": real, "generated": fake, "rolled": torch.roll(fake, (s, s), (2, 3))}
