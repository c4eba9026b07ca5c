"""Latency of the everyday try-on (``Protocol.PHOTO``), person and garment analyses cached,
beside a baseline checkout measured in the same run.

Usage:  .venv/bin/python benchmarks/bench_everyday.py [--baseline /path/to/other/checkout]
        [--sizes 768x1024 384x512] [--engines learned classical] [--repeats 15] [--rounds 3]
        [--out benchmarks/results/bench_everyday.json]

Photo: the VITON-HD photo ../shared/realdata/hd_unpaired/image/00891_00.jpg (the bundled
photo, padded, without it) resized to each size; garments: the bundled ones. With
``--baseline``, the same measurement runs in a subprocess importing ``fitroom`` from that
checkout's ``src/``, alternating with this checkout round by round (``--rounds``), so both see
the same machine load; medians are over all rounds. Torch uses 2 threads.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"


def measure(src: Path, sizes: list[str], engines: list[str], repeats: int) -> dict:
    """Per engine and size: the try-on times (ms) of ``repeats`` rounds over the bundled garments."""
    sys.path.insert(0, str(src))
    import cv2
    import numpy as np
    import torch

    torch.set_num_threads(2)
    from fitroom.examples import example_garments, example_person
    from fitroom.imaging import load_image
    from fitroom.pipelines import TryOnPipeline

    hd = REALDATA / "hd_unpaired" / "image" / "00891_00.jpg"
    if hd.exists():
        photo = load_image(hd)
    else:
        a = load_image(example_person())
        photo = np.full((683, 512, 3), 255, np.uint8)
        photo[:512] = a
    garments = [load_image(g) for g in example_garments()]
    out: dict = {}
    for engine in engines:
        pipe = TryOnPipeline(engine)
        for size in sizes:
            w, h = (int(v) for v in size.lower().split("x"))
            img = np.ascontiguousarray(cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA))
            pa = pipe.analyze_person(img)
            gas = [pipe.analyze_garment(g) for g in garments]
            for ga in gas:  # warm up
                pipe.try_on(pa, ga)
            xs = []
            for _ in range(repeats):
                for ga in gas:
                    t = time.perf_counter()
                    pipe.try_on(pa, ga)
                    xs.append((time.perf_counter() - t) * 1e3)
            out[f"{engine} {size}"] = xs
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", type=Path, default=None, help="another fitroom checkout to compare with")
    ap.add_argument("--sizes", nargs="+", default=["768x1024", "384x512"])
    ap.add_argument("--engines", nargs="+", default=["learned", "classical"])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_everyday.json")
    ap.add_argument("--_worker", type=Path, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a._worker is not None:  # a subprocess: measure the checkout at --_worker, print JSON
        print(json.dumps(measure(a._worker / "src", a.sizes, a.engines, a.repeats)))
        return
    checkouts = {"this": ROOT} | ({"baseline": a.baseline.resolve()} if a.baseline else {})
    times: dict = {k: {} for k in checkouts}
    load_before = os.getloadavg()[0]
    for r in range(a.rounds):
        for name, path in checkouts.items():
            cmd = [sys.executable, str(Path(__file__).resolve()), "--_worker", str(path), "--repeats", str(a.repeats),
                   "--sizes", *a.sizes, "--engines", *a.engines]
            res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
            for k, xs in res.items():
                times[name].setdefault(k, []).extend(xs)
            print(f"round {r + 1}/{a.rounds} {name} done", flush=True)
    summary = {name: {k: {"median_ms": round(statistics.median(v), 1), "p90_ms": round(sorted(v)[int(0.9 * (len(v) - 1))], 1),
                          "n": len(v)} for k, v in t.items()} for name, t in times.items()}
    for k in summary["this"]:
        line = f"{k:22s} this {summary['this'][k]['median_ms']:7.1f} ms"
        if "baseline" in summary and k in summary["baseline"]:
            line += f"   baseline {summary['baseline'][k]['median_ms']:7.1f} ms"
        print(line)
    out = {"photo": "hd_unpaired/image/00891_00.jpg" if (REALDATA / "hd_unpaired").exists() else "bundled, padded",
           "protocol": "photo (everyday)", "person_and_garment_cached": True, "torch_threads": 2,
           "baseline": None if a.baseline is None else str(a.baseline), "cpus": os.cpu_count(),
           "load_average_1min_before": round(load_before, 2), "load_average_1min_after": round(os.getloadavg()[0], 2),
           "summary": summary}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
