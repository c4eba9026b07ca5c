"""Throughput of the synthetic paired-data generator (``fitroom data synth``), files included.

Usage:  .venv/bin/python benchmarks/bench_synth.py [--count 400] [--workers 2] [--out benchmarks/results/bench_synth.json]

For each size (256x192, 512x384) it renders ``count`` samples into a temporary folder with
``workers`` processes and reports samples per second; as a baseline in the same process it
also times one worker, so the parallel speed-up is visible.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_synth.json")
    args = ap.parse_args()

    from fitroom.data.synth.writer import synthesize

    report = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count()}, "count": args.count, "runs": []}
    for size in ((256, 192), (512, 384)):
        for workers in sorted({1, args.workers}):
            with tempfile.TemporaryDirectory() as d:
                s = synthesize(d, args.count if workers > 1 else max(50, args.count // 4), size, seed=123, workers=workers)
            report["runs"].append({"size": f"{size[0]}x{size[1]}", "workers": workers, "count": s["count"],
                                   "seconds": s["seconds"], "samples_per_second": s["samples_per_second"]})
            print(json.dumps(report["runs"][-1]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
