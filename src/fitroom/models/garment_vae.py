"""``garment-vae``: a convolutional variational autoencoder over garment product photos.

Input and output are 4 channels at ``image_size`` x ``image_size`` (128 by default): the
garment composited on white (RGB in [-1, 1]) and its mask (in [-1, 1], 1 = garment), as
:func:`fitroom.data.garment_set.prepare_garment` frames a photo. Decoded samples therefore
come with their own mask, so a generated garment is a product photo that fitroom can try on.

Encoder: ``len(channels)`` stride-2 4x4 convolutions (SiLU) down to a
``image_size / 2**len(channels)`` square, flattened to a linear layer giving ``mu`` and
``logvar`` of a diagonal Gaussian over ``latent_dim`` dimensions. Decoder: a linear layer back
to the square, then the mirror of the encoder with 4x4 stride-2 transposed convolutions and a
3x3 output convolution; ``tanh`` on the output.

``norm="batch"`` (the default) puts BatchNorm before each activation. Per-sample
normalisation (``"group"``, GroupNorm) divides out each feature map's mean and scale, and
with them the garment's global colour and brightness: a first training run with it gave
every reconstruction one average colour. ``"none"`` (no normalisation) diverged early
(KL of tens of thousands of nats) in a short test.

The loss (:meth:`GarmentVAE.loss`) is a beta-VAE objective: per-pixel L1 reconstruction of the
RGB channels and of the mask (``mask_weight``), plus ``beta`` times the KL divergence normalised
per pixel, ``KL_sum / (C*H*W)``, so that ``beta`` does not depend on the image size. With
mean-L1 reconstruction this is the negative ELBO of a Laplace likelihood of scale ``beta``
(in [-1, 1] pixel units), divided by ``C*H*W``: small beta (0.01-0.05) gives sharp
reconstructions and a less regular latent space, larger beta smoother samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .pretrained import PretrainedModel
from .registry import register

__all__ = ["GarmentVAE", "GarmentVAEConfig", "VAELoss", "VAEOutput"]


@dataclass(frozen=True)
class GarmentVAEConfig:
    """Fields of ``garment-vae``.

    Attributes:
        image_size: side of the square input (a multiple of ``2**len(channels)``).
        in_channels: 3 (RGB) + 1 (mask).
        channels: encoder widths, one stride-2 stage each (the decoder mirrors them).
        latent_dim: size of the latent code.
        beta: KL weight of :meth:`GarmentVAE.loss` (stored with the model so a saved model
            records how it was trained).
        mask_weight: weight of the mask channel's L1 term.
        norm: "batch", "group" or "none" (see the module docstring).
        groups: GroupNorm groups when ``norm == "group"``.
        input_size: ``(H, W)``, recorded for ``config.json``; must equal ``(image_size, image_size)``.
    """

    image_size: int = 128
    in_channels: int = 4
    channels: tuple[int, ...] = (32, 64, 96, 128, 128)
    latent_dim: int = 64
    beta: float = 0.05
    mask_weight: float = 1.0
    norm: str = "batch"
    groups: int = 8
    input_size: tuple[int, int] = (128, 128)

    def __post_init__(self) -> None:
        if not self.channels or any(c < 1 for c in self.channels):
            raise ValueError(f"garment-vae: channels must be positive, got {self.channels}")
        if self.image_size % (2 ** len(self.channels)) or self.image_size < 2 ** len(self.channels):
            raise ValueError(f"garment-vae: image_size {self.image_size} must be a multiple of "
                             f"2**{len(self.channels)} = {2 ** len(self.channels)}")
        if self.norm not in ("none", "batch", "group"):
            raise ValueError(f"garment-vae: norm must be 'none', 'batch' or 'group', got {self.norm!r}")
        if self.norm == "group" and any(c % self.groups for c in self.channels):
            raise ValueError(f"garment-vae: every channel count must be divisible by groups={self.groups}")
        if self.latent_dim < 1 or self.beta < 0 or self.mask_weight < 0 or self.in_channels < 1:
            raise ValueError(f"invalid garment-vae config: {self}")
        if tuple(self.input_size) != (self.image_size, self.image_size):
            raise ValueError(f"garment-vae: input_size {tuple(self.input_size)} must be "
                             f"({self.image_size}, {self.image_size})")


@dataclass
class VAEOutput:
    """Result of :meth:`GarmentVAE.forward`.

    Attributes:
        recon: ``[B, in_channels, S, S]`` reconstruction in [-1, 1] (RGB, then mask).
        mu, logvar: ``[B, latent_dim]`` posterior parameters.
        z: ``[B, latent_dim]`` the code that was decoded (a sample in train mode, ``mu`` in eval).
    """

    recon: Tensor
    mu: Tensor
    logvar: Tensor
    z: Tensor


@dataclass
class VAELoss:
    """Terms of :meth:`GarmentVAE.loss` (scalar tensors): ``loss = rgb + mask + beta * kl_norm``;
    ``kl`` is the mean KL per sample in nats (for logging)."""

    loss: Tensor
    rgb: Tensor
    mask: Tensor
    kl: Tensor
    kl_norm: Tensor


def _norm(c: int, kind: str, groups: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(c)
    if kind == "group":
        return nn.GroupNorm(min(groups, c), c)
    return nn.Identity()


@register("garment-vae")
class GarmentVAE(PretrainedModel):
    """``forward(x) -> VAEOutput``; ``x`` ``[B, 4, S, S]`` in [-1, 1]. ``encode``, ``decode``,
    ``sample`` and ``loss`` are the pieces."""

    config_class = GarmentVAEConfig
    normalization = "[-1,1]"

    def __init__(self, config: GarmentVAEConfig | None = None, **overrides: object) -> None:
        super().__init__(config, **overrides)
        c = self.config
        g = c.groups
        nk = c.norm
        enc, prev = [], c.in_channels
        for ch in c.channels:
            enc += [nn.Conv2d(prev, ch, 4, 2, 1), _norm(ch, nk, g), nn.SiLU()]
            prev = ch
        self.encoder = nn.Sequential(*enc)
        self.bottom = c.image_size // 2 ** len(c.channels)
        flat = c.channels[-1] * self.bottom**2
        self.to_stats = nn.Linear(flat, 2 * c.latent_dim)
        self.from_latent = nn.Linear(c.latent_dim, flat)
        dec = []
        rev = list(c.channels[::-1])
        for i, ch in enumerate(rev):
            nxt = rev[i + 1] if i + 1 < len(rev) else max(c.channels[0] // 2, 4)
            dec += [_norm(ch, nk, g), nn.SiLU(), nn.ConvTranspose2d(ch, nxt, 4, 2, 1)]
        self.decoder = nn.Sequential(*dec)
        last = max(c.channels[0] // 2, 4)
        self.head = nn.Sequential(_norm(last, nk, g), nn.SiLU(), nn.Conv2d(last, c.in_channels, 3, 1, 1))
        # the ex-post latent prior (a Gaussian fitted to the training set's posterior means,
        # see fit_latent_prior); N(0, I) until fitted
        self.register_buffer("latent_mean", torch.zeros(c.latent_dim))
        self.register_buffer("latent_scale_tril", torch.eye(c.latent_dim))

    # ----------------------------------------------------------------- pieces
    def _check(self, x: Tensor) -> None:
        c = self.config
        if x.ndim != 4 or x.shape[1] != c.in_channels or x.shape[-2:] != (c.image_size, c.image_size):
            raise ValueError(f"garment-vae expects [B, {c.in_channels}, {c.image_size}, {c.image_size}], "
                             f"got {tuple(x.shape)}")

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(mu, logvar)``, each ``[B, latent_dim]``; ``logvar`` is clamped to [-12, 6]."""
        self._check(x)
        h = self.encoder(x).flatten(1)
        mu, logvar = self.to_stats(h).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 6.0)

    def decode(self, z: Tensor) -> Tensor:
        """``[B, latent_dim]`` codes -> ``[B, in_channels, S, S]`` images in [-1, 1]."""
        c = self.config
        if z.ndim != 2 or z.shape[1] != c.latent_dim:
            raise ValueError(f"garment-vae: latent codes must be [B, {c.latent_dim}], got {tuple(z.shape)}")
        h = self.from_latent(z).view(z.shape[0], c.channels[-1], self.bottom, self.bottom)
        return torch.tanh(self.head(self.decoder(h)))

    def forward(self, x: Tensor, *, sample: bool | None = None) -> VAEOutput:
        """Encode, draw ``z`` (reparameterised; ``sample`` defaults to ``self.training``),
        decode."""
        mu, logvar = self.encode(x)
        if sample if sample is not None else self.training:
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        else:
            z = mu
        return VAEOutput(recon=self.decode(z), mu=mu, logvar=logvar, z=z)

    @torch.no_grad()
    def fit_latent_prior(self, mu: Tensor, shrink: float = 1e-3) -> None:
        """Fit the ex-post latent prior: a Gaussian with the mean and (shrunk) full covariance
        of ``mu`` ``[N, latent_dim]``, the posterior means of the training set. A VAE whose
        KL term is weighted down (beta < 1) does not fill ``N(0, I)``; drawing from the
        codes' own distribution instead (Ghosh et al. 2020, "From variational to
        deterministic autoencoders") keeps samples among garments."""
        mu = mu.detach().double()
        if mu.ndim != 2 or mu.shape[1] != self.config.latent_dim or mu.shape[0] < 2:
            raise ValueError(f"fit_latent_prior needs [N >= 2, {self.config.latent_dim}] codes, got {tuple(mu.shape)}")
        mean = mu.mean(0)
        cov = torch.cov(mu.T) + shrink * torch.eye(mu.shape[1], dtype=mu.dtype, device=mu.device)
        self.latent_mean.copy_(mean.to(self.latent_mean))
        self.latent_scale_tril.copy_(torch.linalg.cholesky(cov).to(self.latent_scale_tril))

    def prior_to_latent(self, eps: Tensor, temperature: float = 1.0) -> Tensor:
        """Map standard-normal draws ``eps`` ``[B, latent_dim]`` to latent codes of the
        (ex-post) prior, ``mean + temperature * L eps``."""
        return self.latent_mean + temperature * eps @ self.latent_scale_tril.T

    @torch.no_grad()
    def sample(self, n: int, *, temperature: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
        """``n`` decoded draws from the latent prior (``N(0, I)``, or the fitted ex-post one),
        scaled about its mean by ``temperature``."""
        p = next(self.parameters())
        eps = torch.randn(n, self.config.latent_dim, generator=generator).to(device=p.device, dtype=p.dtype)
        return self.decode(self.prior_to_latent(eps, temperature))

    def loss(self, x: Tensor, out: VAEOutput, beta: float | None = None) -> VAELoss:
        """The beta-VAE objective (see the module docstring); ``beta`` defaults to the config's."""
        c = self.config
        beta = c.beta if beta is None else float(beta)
        rgb = (out.recon[:, :3] - x[:, :3]).abs().mean()
        mask = c.mask_weight * (out.recon[:, 3:] - x[:, 3:]).abs().mean() if c.in_channels > 3 else rgb.new_zeros(())
        kl = 0.5 * (out.mu.pow(2) + out.logvar.exp() - 1.0 - out.logvar).sum(1).mean()
        kl_norm = kl / float(c.in_channels * c.image_size * c.image_size)
        return VAELoss(loss=rgb + mask + beta * kl_norm, rgb=rgb, mask=mask, kl=kl, kl_norm=kl_norm)


def vae_loss(model: GarmentVAE, x: Tensor, out: VAEOutput, beta: float | None = None) -> VAELoss:
    """Functional form of :meth:`GarmentVAE.loss`."""
    return model.loss(x, out, beta)

