"""Throughput of reading a try-on dataset through TryOnDataset and a DataLoader.

Usage:  .venv/bin/python benchmarks/bench_data.py DATASET_DIR [--split test] [--order paired]
            [--size 256 192] [--batch-size 8] [--workers 0 2] [--epochs 2] [--augment]
            [--no-compute-missing] [--limit N] [--out benchmarks/results/bench_data.json]

DATASET_DIR is any folder :func:`fitroom.data.read_dataset` reads (cp-vton, VITON-HD,
DressCode, a collection), e.g. ../shared/realdata/hd_unpaired. For each worker count the
whole dataset is iterated ``--epochs`` times; reported: time to the first batch (worker
start-up included), samples per second over the full epochs, and the median time of one
``dataset[i]`` in the main process. Missing masks, parses and keypoints are computed with
fitroom's own analysis unless --no-compute-missing (that cost dominates when it happens,
and is reported as ``computed_fields``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import torch  # noqa: E402

from fitroom.data import detect_layout, read_dataset  # noqa: E402
from fitroom.data.torch_dataset import TryOnDataset  # noqa: E402


def _loader_run(ds: TryOnDataset, workers: int, batch_size: int, epochs: int) -> dict:
    loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, num_workers=workers, shuffle=False,
                                         persistent_workers=workers > 0)
    t0 = time.perf_counter()
    first = None
    n = 0
    for _ in range(epochs):
        for batch in loader:
            if first is None:
                first = time.perf_counter() - t0
            n += batch["person"].shape[0]
    total = time.perf_counter() - t0
    return {
        "num_workers": workers,
        "samples": n,
        "seconds": round(total, 4),
        "samples_per_s": round(n / total, 2),
        "first_batch_s": round(first or 0.0, 4),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--split", default=None)
    ap.add_argument("--order", default=None, choices=("paired", "unpaired"))
    ap.add_argument("--size", type=int, nargs=2, default=(256, 192), metavar=("H", "W"))
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--augment", action="store_true")
    ap.add_argument("--no-compute-missing", action="store_true")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_data.json")
    args = ap.parse_args(argv)

    t = time.perf_counter()
    samples = read_dataset(args.root, split=args.split, order=args.order)
    index_s = time.perf_counter() - t
    if args.limit:
        samples = samples[: args.limit]
    ds = TryOnDataset(samples, size=tuple(args.size), augment=args.augment, seed=0,
                      compute_missing=not args.no_compute_missing)
    computed = sorted({name for s in samples for name, path in
                       (("garment_mask", s.garment_mask_path), ("parse", s.parse_path), ("keypoints", s.keypoints_path))
                       if path is None})

    item_ms = []
    for i in range(min(len(ds), 20)):
        t = time.perf_counter()
        ds[i]
        item_ms.append((time.perf_counter() - t) * 1e3)
    runs = [_loader_run(ds, w, args.batch_size, args.epochs) for w in args.workers]

    result = {
        "dataset": str(args.root),
        "layout": str(detect_layout(args.root)),
        "split": args.split,
        "order": args.order,
        "n_samples": len(samples),
        "index_seconds": round(index_s, 4),
        "size_hw": list(args.size),
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "augment": args.augment,
        "computed_fields": computed if not args.no_compute_missing else [],
        "item_ms_median": round(statistics.median(item_ms), 2) if item_ms else None,
        "loader": runs,
        "machine": {"python": platform.python_version(), "torch": torch.__version__,
                    "cpus": os.cpu_count(), "platform": platform.platform()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
