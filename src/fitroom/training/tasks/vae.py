"""Training task of ``garment-vae``: a beta-VAE over garment product photos (RGB + mask).

Data: a garment set written by ``fitroom data garments`` (:mod:`fitroom.data.garment_set`),
read by :class:`~fitroom.data.garmentgen_dataset.GarmentSetDataset`. One optimizer; the
loss is :meth:`~fitroom.models.GarmentVAE.loss` (L1 of RGB and mask + beta * normalised KL)
with the KL weight ramped linearly from 0 to beta over ``loss.kl_warmup`` steps (so the
decoder learns to use the code before the prior pulls it in), plus an optional ``1 - SSIM``
term on the RGB channels. Validation runs the same step in eval mode (``z = mu``) and also
logs the SSIM of the reconstructions.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from fitroom.models.garment_vae import GarmentVAE

from ..losses import ssim, ssim_loss
from ..trainer import TaskBase
from . import VAELossConfig, build_model

__all__ = ["VAETask", "on_white"]


def on_white(x: Tensor) -> Tensor:
    """The RGB of a ``[B, 4, S, S]`` VAE tensor (in [-1, 1]) composited on white by its own
    mask channel: what a product photo shows."""
    a = ((x[:, 3:4] + 1) / 2).clamp(0, 1)
    return x[:, :3] * a + (1 - a)


class VAETask(TaskBase):
    """Trains a :class:`~fitroom.models.GarmentVAE` (model name ``"vae"``)."""

    generator_name = "vae"

    def __init__(self, model: GarmentVAE, loss: VAELossConfig | None = None, *, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), weight_decay: float = 0.0):
        self.vae = model
        self.loss = loss or VAELossConfig()
        if self.loss.kl_warmup < 0 or self.loss.ssim < 0:
            raise ValueError("loss.kl_warmup and loss.ssim must be >= 0")
        opt_cls = torch.optim.AdamW if weight_decay > 0 else torch.optim.Adam
        self.opt = opt_cls(model.parameters(), lr=lr, betas=tuple(betas), weight_decay=weight_decay)

    @classmethod
    def from_config(cls, cfg: Any) -> VAETask:
        size = tuple(cfg.data.size)
        if size[0] != size[1]:
            from ..config import ConfigError

            raise ConfigError(f"data.size must be square for garment-vae, got {list(size)}.")
        params = {"image_size": int(size[0]), **dict(cfg.model.params)}
        model = build_model(cfg.model.name, params, size)
        return cls(model, cfg.loss, lr=cfg.optim.lr_g, betas=cfg.optim.betas, weight_decay=cfg.optim.weight_decay)

    def models(self) -> dict[str, torch.nn.Module]:
        return {"vae": self.vae}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"vae": self.opt}

    def current_beta(self) -> float:
        """The KL weight at this step: ``beta * min(1, step / kl_warmup)``."""
        beta = self.vae.config.beta
        if self.loss.kl_warmup <= 0:
            return beta
        return beta * min(1.0, self.ctx.step / self.loss.kl_warmup)

    def step(self, batch: dict, *, train: bool) -> dict[str, float]:
        x = batch["x"]
        beta = self.current_beta() if train else self.vae.config.beta
        with self.ctx.autocast():
            out = self.vae(x)
            terms = self.vae.loss(x, out, beta=beta)
            loss = terms.loss
            s = None
            if self.loss.ssim > 0:
                s = ssim_loss(on_white(out.recon.float()), on_white(x))
                loss = loss + self.loss.ssim * s
        if train:
            self.ctx.optimize(loss, "vae")
        logs = {"loss": float(loss.detach()), "rgb_l1": float(terms.rgb.detach()),
                "mask_l1": float(terms.mask.detach()), "kl": float(terms.kl.detach()), "beta": beta}
        if s is not None:
            logs["ssim_loss"] = float(s.detach())
        if not train:
            with torch.no_grad():
                logs["ssim"] = float(ssim(on_white(out.recon.float()), on_white(x)))
        return logs

    @torch.no_grad()
    def recalibrate(self, model: torch.nn.Module, dataset, batches: int = 30, batch_size: int = 32) -> None:
        """Before saving: re-measure the BatchNorm statistics of ``model`` (the EMA copy, whose
        copied statistics belong to the live weights) on the first ``batches`` batches of
        ``dataset``, then fit its ex-post latent prior (:meth:`fit_prior`); eval mode."""
        from .texture_gan import recalibrate_batchnorm

        dev = next(model.parameters()).device
        n = min(len(dataset), batches * batch_size)

        def inputs():
            for i in range(0, n, batch_size):
                yield torch.stack([dataset[j]["x"] for j in range(i, min(i + batch_size, n))]).to(dev)

        recalibrate_batchnorm(model, inputs())
        self.fit_prior(model, dataset)

    @torch.no_grad()
    def fit_prior(self, model: torch.nn.Module, dataset, limit: int = 4000, batch_size: int = 64) -> None:
        """Fit the model's ex-post latent prior (:meth:`GarmentVAE.fit_latent_prior`) to the
        posterior means of up to ``limit`` training items (eval mode)."""
        dev = next(model.parameters()).device
        n = min(len(dataset), limit)
        model.eval()
        mus = [model.encode(torch.stack([dataset[j]["x"] for j in range(i, min(i + batch_size, n))]).to(dev))[0]
               for i in range(0, n, batch_size)]
        model.fit_latent_prior(torch.cat(mus))

    @torch.no_grad()
    def sample_images(self, batch: dict) -> dict[str, Tensor]:
        """Rows: input, reconstruction (EMA when kept, z = mu), its mask, a prior sample."""
        m = self.ctx.ema_or_model("vae")
        x = batch["x"]
        rec = m(x, sample=False).recon
        g = torch.Generator().manual_seed(0)
        prior = m.decode(m.prior_to_latent(torch.randn(x.shape[0], m.config.latent_dim, generator=g).to(x.device)))
        return {"input": on_white(x), "recon": on_white(rec), "mask": rec[:, 3:4].expand(-1, 3, -1, -1),
                "prior_sample": on_white(prior)}
