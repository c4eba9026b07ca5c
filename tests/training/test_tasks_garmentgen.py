"""The vae and texture-gan training tasks through fitroom.training.tasks.train: a short run
whose loss decreases, bit-exact determinism for a seed, BatchNorm recalibration of the EMA
copy, and config errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from fitroom import models as fm
from fitroom.data.garment_set import write_garment_set
from fitroom.data.textures import write_texture_set
from fitroom.training.config import ConfigError
from fitroom.training.tasks import train
from fitroom.training.tasks.texture_gan import recalibrate_batchnorm

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
VAE_TINY = ["data.size=[32,32]", "model.params.channels=[8,16]", "model.params.latent_dim=8", "train.batch_size=8",
            "train.log_every=5", "train.val_every=0", "train.sample_every=0", "train.ckpt_every=0",
            "loss.kl_warmup=0", "optim.lr_g=3e-3"]
GAN_TINY = ["data.size=[16,16]", "model.params.channels=[16,8]", "model.params.disc.base_channels=8",
            "model.params.disc.n_layers=2", "model.params.disc.num_scales=1", "train.batch_size=8",
            "train.log_every=2", "train.sample_every=0", "train.ckpt_every=0"]


@pytest.fixture(scope="module")
def garments(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("garments")
    write_garment_set(root, 40, size=32, seed=0)
    return root


@pytest.fixture(scope="module")
def textures(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("textures")
    write_texture_set(root, 24, size=16, seed=0)
    return root


def _losses(run: Path, key: str) -> list[float]:
    return [r[key] for r in map(json.loads, (run / "scalars.jsonl").read_text().splitlines()) if r["split"] == "train"]


def test_vae_loss_decreases_and_the_run_is_deterministic(garments, tmp_path):
    r1 = train("vae", CONFIGS / "vae.yaml", data=garments, out=tmp_path / "a", overrides=[*VAE_TINY, "train.steps=40"],
               progress=False)
    losses = _losses(tmp_path / "a", "loss")
    assert len(losses) == 8 and losses[-1] < 0.7 * losses[0]
    vae = fm.load(r1["final"])
    assert isinstance(vae, fm.GarmentVAE) and vae.config.image_size == 32
    meta = json.loads((r1["final"] / "config.json").read_text())["metadata"]
    assert meta["task"] == "vae" and meta["steps"] == 40
    r2 = train("vae", CONFIGS / "vae.yaml", data=garments, out=tmp_path / "b", overrides=[*VAE_TINY, "train.steps=40"],
               progress=False)
    w1, w2 = fm.load(r1["final"]).state_dict(), fm.load(r2["final"]).state_dict()
    assert all(torch.equal(w1[k], w2[k]) for k in w1)
    r3 = train("vae", CONFIGS / "vae.yaml", data=garments, out=tmp_path / "c",
               overrides=[*VAE_TINY, "train.steps=40", "train.seed=1"], progress=False)
    w3 = fm.load(r3["final"]).state_dict()
    assert not all(torch.equal(w1[k], w3[k]) for k in w1)


def test_texture_gan_trains_and_saves_the_ema_generator(textures, tmp_path):
    r = train("texture-gan", CONFIGS / "texture_gan.yaml", data=textures, out=tmp_path / "g",
              overrides=[*GAN_TINY, "train.steps=6"], progress=False)
    g = fm.load(r["final"])
    assert isinstance(g, fm.TextureGAN) and g.generate(2, seed=0).shape == (2, 3, 16, 16)
    logs = _losses(tmp_path / "g", "loss_d")
    assert len(logs) == 3 and all(0 <= v < 4 for v in logs)  # hinge D loss is 2 at chance
    again = train("texture-gan", CONFIGS / "texture_gan.yaml", data=textures, out=tmp_path / "h",
                  overrides=[*GAN_TINY, "train.steps=6"], progress=False)
    assert torch.equal(fm.load(again["final"]).generate(2, seed=0), g.generate(2, seed=0))


def test_recalibrate_batchnorm_measures_the_model_s_own_statistics():
    torch.manual_seed(0)
    g = fm.build("texture-gan", z_dim=8, channels=(16, 8), input_size=(16, 16))
    bn = g.start_norm
    assert torch.equal(bn.running_mean, torch.zeros_like(bn.running_mean))
    z = [torch.randn(32, 8) for _ in range(4)]
    assert recalibrate_batchnorm(g, z) and not g.training
    with torch.no_grad():
        h = torch.cat([g.project(x).view(32, 16, 4, 4) for x in z])
    assert torch.allclose(bn.running_mean, h.mean((0, 2, 3)), atol=1e-5)
    assert not recalibrate_batchnorm(torch.nn.Linear(2, 2), [torch.zeros(1, 2)])


def test_config_errors(garments, textures, tmp_path):
    with pytest.raises(ConfigError, match="holds 32x32"):
        train("vae", CONFIGS / "vae.yaml", data=garments, out=tmp_path / "x", overrides=["data.size=[32,16]"])
    with pytest.raises(ConfigError, match="holds 32x32"):
        train("vae", CONFIGS / "vae.yaml", data=garments, out=tmp_path / "y", overrides=["data.size=[64,64]"])
    with pytest.raises(ConfigError, match="unknown config key 'loss.beta'"):
        train("vae", CONFIGS / "vae.yaml", data=garments, out=tmp_path / "z", overrides=["loss.beta=1"])
    with pytest.raises(ConfigError, match="holds 16x16 patches"):
        train("texture-gan", CONFIGS / "texture_gan.yaml", data=textures, out=tmp_path / "w")
