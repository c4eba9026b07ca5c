"""Copy a trained model folder (e.g. RUN/final) into fitroom/weights/<name> as float16 safetensors.

    .venv/bin/python scripts/ship_weights.py runs/vae/final src/fitroom/weights/garment-vae \
        [--recalibrate data/garments]
    .venv/bin/python scripts/ship_weights.py runs/texture-gan/final src/fitroom/weights/texture-gan \
        [--recalibrate data/textures]

``--recalibrate DATA`` runs the task's finishing step on the training split of DATA, as
``fitroom train`` does at the end of a run since this was added (re-measure the BatchNorm
statistics of the EMA weights; for the VAE also fit the ex-post latent prior). Buffers that a
model folder written before those buffers existed lacks (``latent_mean``,
``latent_scale_tril``) start at their defaults (N(0, I)). The run's metadata is kept;
``weights_dtype`` and ``recalibrated_on`` are added. MODEL_CARD.md is written by hand.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from safetensors.torch import load_file

from fitroom import models as fm

OPTIONAL_BUFFERS = ("latent_mean", "latent_scale_tril")


def load_lenient(src: Path):
    saved = json.loads((src / "config.json").read_text())
    model = fm.build(saved["architecture"], **fm.pretrained._from_json(saved["config"]))
    state = load_file(str(src / "model.safetensors"))
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(k not in OPTIONAL_BUFFERS for k in missing):
        raise SystemExit(f"{src}: missing {missing}, unexpected {unexpected}")
    return model.eval(), saved.get("metadata", {}), missing


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    ap.add_argument("--recalibrate", type=Path, default=None, help="dataset folder (training split used)")
    args = ap.parse_args()
    torch.manual_seed(0)
    model, meta, missing = load_lenient(args.src)
    if args.recalibrate is not None:
        if model.architecture == "garment-vae":
            from fitroom.data.garmentgen_dataset import GarmentSetDataset
            from fitroom.training.tasks.vae import VAETask

            VAETask(model).recalibrate(model, GarmentSetDataset(args.recalibrate, "train"))
        elif model.architecture == "texture-gan":
            from fitroom.training.tasks.texture_gan import recalibrate_batchnorm

            recalibrate_batchnorm(model, (torch.randn(64, model.config.z_dim) for _ in range(50)))
        meta["recalibrated_on"] = str(args.recalibrate)
    meta["weights_dtype"] = "float16"
    if missing:
        meta["buffers_added_at_shipping"] = list(missing)
    model.save_pretrained(args.dst, metadata=meta, dtype=torch.float16)
    size = (args.dst / "model.safetensors").stat().st_size
    print(f"wrote {args.dst} ({model.architecture}, {model.num_parameters()} parameters, {size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
