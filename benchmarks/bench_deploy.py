"""The learned engine's networks on PyTorch and on ONNX Runtime, in one run.

Usage:  .venv/bin/python benchmarks/bench_deploy.py [--sizes 256x192 512x384] [--batches 1 4]
        [--repeats 15] [--threads 2] [--out benchmarks/results/bench_deploy.json]

Per network (warp-flow, tryon-unet) and runtime: the median latency of a forward pass at each
network size and batch (the two runtimes alternate, repeat by repeat, so the machine's noise
falls on both), and the largest difference of ONNX Runtime's outputs from PyTorch's. Then the
whole learned try-on at 768x1024 (a VITON-HD photo when ../shared/realdata is there, else the
bundled photo padded; person and garment analyses cached), everyday and leak-free protocol,
per runtime. int8, pruned and distilled networks are not in it yet.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"


def _ms(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["256x192", "512x384"])
    ap.add_argument("--batches", nargs="+", type=int, default=[1, 4])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bench_deploy.json"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    from fitroom.deploy import OnnxTryOn, OnnxWarp, export_onnx
    from fitroom.deploy.onnx import _probe
    from fitroom.models import load
    from fitroom.pipelines.tryon import resolve_weights

    root = resolve_weights(None)
    warp, gen = load(root / "warp").eval(), load(root / "tryon").eval()
    out: dict = {"weights": str(root.name), "threads": a.threads, "networks": {}, "tryon": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for size_s in a.sizes:
            h, w = (int(v) for v in size_s.split("x"))
            exp = export_onnx(warp, gen, Path(tmp) / size_s, size=(h, w))
            runners = {"warp-flow": (warp, OnnxWarp(exp.paths["warp"], warp, a.threads)),
                       "tryon-unet": (gen, OnnxTryOn(exp.paths["tryon"], gen, a.threads))}
            for name, (model, onnx) in runners.items():
                for b in a.batches:
                    probe = _probe(model, (h, w), batch=b, seed=2)
                    with torch.no_grad():
                        for _ in range(2):  # warm-up
                            model(*probe)
                            onnx(*probe)
                        t_torch, t_onnx = [], []
                        for _ in range(a.repeats):
                            t_torch.append(_ms(lambda: model(*probe)))
                            t_onnx.append(_ms(lambda: onnx(*probe)))
                    key = f"{name} {size_s} batch {b}"
                    out["networks"][key] = {"torch_ms": statistics.median(t_torch), "onnx_ms": statistics.median(t_onnx),
                                            "max_abs_diff": exp.max_abs_diff["warp" if name == "warp-flow" else "tryon"]}
                    r = out["networks"][key]
                    print(f"{key:32s} torch {r['torch_ms']:7.1f} ms   onnx {r['onnx_ms']:7.1f} ms")

    from fitroom.examples import example_garments, example_person
    from fitroom.imaging import load_image
    from fitroom.pipelines import Protocol, TryOnPipeline

    hd = REALDATA / "hd_unpaired" / "image" / "00891_00.jpg"
    if hd.exists():
        person, src = load_image(hd), "../shared/realdata/hd_unpaired/image/00891_00.jpg"
    else:
        p = load_image(example_person())
        person = np.full((1024, 768, 3), 255, np.uint8)
        person[:p.shape[0], :p.shape[1]] = p[:1024, :768]
        src = "bundled photo, padded to 768x1024"
    out["tryon"]["photo"] = src
    with tempfile.TemporaryDirectory() as cache:
        import os

        os.environ["FITROOM_CACHE_DIR"] = cache
        pipes = {rt: TryOnPipeline("learned", runtime=rt) for rt in ("torch", "onnx")}
        inputs = {}
        for rt, pipe in pipes.items():
            inputs[rt] = (pipe.analyze_person(person), pipe.analyze_garment(load_image(example_garments()[0])))
        for protocol in (Protocol.PHOTO, Protocol.PAIRED):
            times = {rt: [] for rt in pipes}
            for rt, pipe in pipes.items():
                for _ in range(2):
                    pipe(*inputs[rt], protocol=protocol)
            for _ in range(a.repeats):
                for rt, pipe in pipes.items():
                    times[rt].append(_ms(lambda: pipe(*inputs[rt], protocol=protocol)))
            out["tryon"][str(protocol)] = {f"{rt}_ms": statistics.median(v) for rt, v in times.items()}
            r = out["tryon"][str(protocol)]
            print(f"whole try-on 768x1024 {protocol!s:7s} torch {r['torch_ms']:7.1f} ms   onnx {r['onnx_ms']:7.1f} ms")
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=2))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
