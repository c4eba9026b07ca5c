"""Copy a trained model folder (e.g. RUN/final) into fitroom/weights/<name> as float16 safetensors.

    .venv/bin/python scripts/ship_weights.py runs/vae/final src/fitroom/weights/garment-vae

The metadata of the run (steps, losses, dataset) is kept; ``weights_dtype`` is added. The
model card (MODEL_CARD.md) is written by hand beside it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from fitroom import models as fm


def main(src: str, dst: str) -> None:
    model = fm.load(src)
    meta = json.loads((Path(src) / "config.json").read_text()).get("metadata", {})
    meta["weights_dtype"] = "float16"
    model.save_pretrained(dst, metadata=meta, dtype=torch.float16)
    size = (Path(dst) / "model.safetensors").stat().st_size
    print(f"wrote {dst} ({model.architecture}, {model.num_parameters()} parameters, {size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main(*sys.argv[1:3])
