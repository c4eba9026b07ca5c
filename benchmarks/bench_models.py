"""Parameters and CPU forward latency of fitroom's try-on networks against a CP-VTON-sized baseline.

Usage:  .venv/bin/python benchmarks/bench_models.py [--sizes 256x192 512x384] [--repeats 20]
            [--warmup 3] [--threads 2] [--batch 1] [--interleave] [--only warp-flow tryon-unet ...]
            [--out benchmarks/results/bench_models.json]

Measured, for each network and input size: parameter count and the median / p90 wall time
of one ``forward`` (batch 1 by default, ``torch.no_grad()``, eval mode, random inputs,
``torch.set_num_threads(2)`` like the deployment machines). Run it on an otherwise idle
machine: the 1-minute load average before and after is recorded with the results.

Networks:
* ``warp-flow`` and ``tryon-unet``: fitroom's models at their default config
  (:mod:`fitroom.models`), inputs = the 33-channel person representation + garment.
* ``cpvton-gmm``: an approximation, built here and not part of the package, of CP-VTON's
  Geometric Matching Module (Wang et al. 2018, github.com/sergeywong/cp-vton): two feature
  extractors (4x4 stride-2 convs of 64-128-256-512 channels, BatchNorm, then two 3x3 convs
  of 512), L2-normalised features, a *global* correlation layer (every coarse position
  against every other), a regressor (convs 512-256-128-64, a linear layer) to the 2x5x5
  control points of a thin-plate spline, the TPS grid and ``grid_sample``. Person input:
  22 channels (body shape 1, head 3, pose 18), garment 3.
* ``cpvton-tom``: CP-VTON's Try-On Module, a pix2pix U-Net with 64 base channels and 6
  downsamplings (64-128-256-512-512-512, InstanceNorm, upsample + 3x3 conv decoder),
  input 25 channels (22 + warped garment 3), output 4 (rendered person + composition mask).

Whole learned try-on (``--tryon-sizes``, default 256x192 and 512x384 photos): the bundled
photo (centre 3:4 crop) at that size, the shipped weights (``fitroom/weights/learned``;
networks at their 256x192 training size, the final image composited at the photo's size),
person analysis cached: the median of ``TryOnPipeline.try_on`` with the garment analysis
cached too, and of ``pipe(person, garment_photo)`` with it computed each time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import fitroom  # noqa: E402
import fitroom.models as fm  # noqa: E402


# --- CP-VTON-sized baselines (approximations for sizing and timing only) ----------------
def _feature_extraction(cin: int, ngf: int = 64, n_layers: int = 3) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, ngf, 4, 2, 1), nn.ReLU(True), nn.BatchNorm2d(ngf)]
    for i in range(n_layers):
        a, b = min(2**i * ngf, 512), min(2 ** (i + 1) * ngf, 512)
        layers += [nn.Conv2d(a, b, 4, 2, 1), nn.ReLU(True), nn.BatchNorm2d(b)]
    layers += [nn.Conv2d(512, 512, 3, 1, 1), nn.ReLU(True), nn.BatchNorm2d(512),
               nn.Conv2d(512, 512, 3, 1, 1), nn.ReLU(True)]
    return nn.Sequential(*layers)


class _TpsGrid(nn.Module):
    """Thin-plate-spline sampling grid from the displacements of a g x g control lattice."""

    def __init__(self, h: int, w: int, g: int = 5) -> None:
        super().__init__()
        lin = torch.linspace(-1, 1, g)
        cy, cx = torch.meshgrid(lin, lin, indexing="ij")
        ctrl = torch.stack([cx.flatten(), cy.flatten()], 1)  # [K, 2]
        k = ctrl.shape[0]

        def u(d2: torch.Tensor) -> torch.Tensor:
            return torch.where(d2 > 0, d2 * torch.log(d2.clamp_min(1e-12)), torch.zeros_like(d2))

        big = torch.zeros(k + 3, k + 3)
        big[:k, :k] = u(((ctrl[:, None] - ctrl[None]) ** 2).sum(-1))
        big[:k, k] = 1
        big[:k, k + 1:] = ctrl
        big[k, :k] = 1
        big[k + 1:, :k] = ctrl.T
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
        pts = torch.stack([xs.flatten(), ys.flatten()], 1)
        basis = torch.cat([u(((pts[:, None] - ctrl[None]) ** 2).sum(-1)), torch.ones(h * w, 1), pts], 1)
        self.register_buffer("m", basis @ torch.linalg.inv(big)[:, :k])  # [HW, K]
        self.register_buffer("ctrl", ctrl)
        self.h, self.w = h, w

    def forward(self, theta: torch.Tensor) -> torch.Tensor:
        target = self.ctrl[None] + theta.view(theta.shape[0], -1, 2)  # [B, K, 2]
        return (self.m[None] @ target).view(-1, self.h, self.w, 2)


class CpVtonGMM(nn.Module):
    def __init__(self, h: int, w: int, person_channels: int = 22, grid: int = 5) -> None:
        super().__init__()
        self.extract_a = _feature_extraction(person_channels)
        self.extract_b = _feature_extraction(3)
        hw = (h // 16) * (w // 16)
        self.regression = nn.Sequential(
            nn.Conv2d(hw, 512, 4, 2, 1), nn.BatchNorm2d(512), nn.ReLU(True),
            nn.Conv2d(512, 256, 4, 2, 1), nn.BatchNorm2d(256), nn.ReLU(True),
            nn.Conv2d(256, 128, 3, 1, 1), nn.BatchNorm2d(128), nn.ReLU(True),
            nn.Conv2d(128, 64, 3, 1, 1), nn.BatchNorm2d(64), nn.ReLU(True),
        )
        self.linear = nn.Linear(64 * (h // 64) * (w // 64), 2 * grid * grid)
        self.tps = _TpsGrid(h, w, grid)

    def forward(self, person: torch.Tensor, cloth: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a = F.normalize(self.extract_a(person), dim=1)
        b = F.normalize(self.extract_b(cloth), dim=1)
        n, c, h, w = a.shape
        fa = a.transpose(2, 3).reshape(n, c, h * w)
        fb = b.reshape(n, c, h * w).transpose(1, 2)
        corr = torch.bmm(fb, fa).view(n, h, w, h * w).transpose(2, 3).transpose(1, 2)
        theta = torch.tanh(self.linear(self.regression(F.relu(corr)).flatten(1)))
        grid = self.tps(theta)
        return F.grid_sample(cloth, grid, padding_mode="border", align_corners=True), grid


class _UnetBlock(nn.Module):
    """pix2pix UnetSkipConnectionBlock as in CP-VTON (upsample + 3x3 conv decoder)."""

    def __init__(self, outer: int, inner: int, cin: int | None = None, sub: nn.Module | None = None,
                 outermost: bool = False, innermost: bool = False) -> None:
        super().__init__()
        self.outermost = outermost
        cin = outer if cin is None else cin
        down = [nn.Conv2d(cin, inner, 4, 2, 1, bias=True)]
        up_in = inner if innermost else inner * 2
        upconv = [nn.Upsample(scale_factor=2, mode="bilinear"), nn.Conv2d(up_in, outer, 3, 1, 1, bias=True)]
        if outermost:
            model = down + [sub] + [nn.ReLU(True)] + upconv
        elif innermost:
            model = [nn.LeakyReLU(0.2, True)] + down + [nn.ReLU(True)] + upconv + [nn.InstanceNorm2d(outer)]
        else:
            model = ([nn.LeakyReLU(0.2, True)] + down + [nn.InstanceNorm2d(inner), sub, nn.ReLU(True)]
                     + upconv + [nn.InstanceNorm2d(outer)])
        self.model = nn.Sequential(*model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


class CpVtonTOM(nn.Module):
    def __init__(self, cin: int = 25, cout: int = 4, num_downs: int = 6, ngf: int = 64) -> None:
        super().__init__()
        block = _UnetBlock(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - 5):
            block = _UnetBlock(ngf * 8, ngf * 8, sub=block)
        block = _UnetBlock(ngf * 4, ngf * 8, sub=block)
        block = _UnetBlock(ngf * 2, ngf * 4, sub=block)
        block = _UnetBlock(ngf, ngf * 2, sub=block)
        self.model = _UnetBlock(cout, ngf, cin=cin, sub=block, outermost=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(x)
        return torch.tanh(out[:, :3]), torch.sigmoid(out[:, 3:])


# --- measurement --------------------------------------------------------------------------
def _case(name: str, h: int, w: int, b: int) -> tuple[nn.Module, Callable[[], object]]:
    g = torch.Generator().manual_seed(0)

    def r(*shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=g) * 2 - 1

    if name == "warp-flow":
        m = fm.build("warp-flow", input_size=(h, w)).eval()
        x = (r(b, fm.PERSON_CHANNELS, h, w), r(b, 3, h, w), (r(b, 1, h, w) > 0).float())
    elif name == "tryon-unet":
        m = fm.build("tryon-unet", input_size=(h, w)).eval()
        x = (r(b, fm.PERSON_CHANNELS, h, w), r(b, 3, h, w), (r(b, 1, h, w) > 0).float())
    elif name == "cpvton-gmm":
        m = CpVtonGMM(h, w).eval()
        x = (r(b, 22, h, w), r(b, 3, h, w))
    elif name == "cpvton-tom":
        m = CpVtonTOM().eval()
        x = (r(b, 25, h, w),)
    else:
        raise ValueError(f"unknown network {name!r}")
    return m, lambda: m(*x)


def measure_size(names: list[str], h: int, w: int, batch: int, repeats: int, warmup: int,
                 interleave: bool = False) -> list[dict]:
    """Time every network at one size: one after the other (each in isolation, warm
    caches), or ``interleave``d (one forward of each per round, so that a burst of other
    work on the machine hits all alike; each then runs with caches the others evicted,
    which costs the small warp-flow about +50%)."""
    cases = [(name, *_case(name, h, w, batch)) for name in names]
    times: dict[str, list[float]] = {name: [] for name in names}
    groups = [cases] if interleave else [[c] for c in cases]
    with torch.no_grad():
        for group in groups:
            for _ in range(warmup):
                for _, _, fn in group:
                    fn()
            for _ in range(repeats):
                for name, _, fn in group:
                    t0 = time.perf_counter()
                    fn()
                    times[name].append((time.perf_counter() - t0) * 1000)
    out = []
    for name, m, _ in cases:
        t = sorted(times[name])
        out.append({
            "network": name,
            "size": f"{h}x{w}",
            "batch": batch,
            "parameters": sum(p.numel() for p in m.parameters()),
            "median_ms": round(statistics.median(t), 2),
            "p90_ms": round(t[min(len(t) - 1, int(0.9 * len(t)))], 2),
            "min_ms": round(t[0], 2),
            "repeats": repeats,
            "interleaved": interleave,
        })
    return out


def measure_tryon(sizes: list[str], repeats: int, warmup: int) -> list[dict]:
    """Whole learned try-ons at each photo size, person analysis cached (see the docstring)."""
    import cv2
    import numpy as np

    from fitroom.examples import example_garments, example_person
    from fitroom.imaging import load_image
    from fitroom.pipelines import TryOnPipeline

    photo = load_image(example_person())
    h0, w0 = photo.shape[:2]
    cw = min(w0, round(h0 * 3 / 4))
    photo = photo[:, (w0 - cw) // 2:(w0 - cw) // 2 + cw]
    garment = load_image(example_garments()[0])
    pipe = TryOnPipeline("learned")
    out = []
    for size in sizes:
        h, w = (int(v) for v in size.lower().split("x"))
        img = np.ascontiguousarray(cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA))
        pa = pipe.analyze_person(img)
        ga = pipe.analyze_garment(garment)
        cached, uncached = [], []
        for i in range(warmup + repeats):
            t0 = time.perf_counter()
            pipe.try_on(pa, ga)
            t1 = time.perf_counter()
            pipe._garments.clear()  # analyse the garment again
            pipe(pa, garment)
            t2 = time.perf_counter()
            if i >= warmup:
                cached.append((t1 - t0) * 1000)
                uncached.append((t2 - t1) * 1000)
        out.append({
            "case": "learned try-on, person cached", "photo_size": size,
            "network_size": "x".join(map(str, pipe._learned.size)),
            "median_ms_garment_cached": round(statistics.median(cached), 2),
            "median_ms_garment_analysed": round(statistics.median(uncached), 2),
            "repeats": repeats,
        })
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["256x192", "512x384"])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--interleave", action="store_true", help="alternate the networks round by round")
    ap.add_argument("--only", nargs="+", default=["warp-flow", "tryon-unet", "cpvton-gmm", "cpvton-tom"])
    ap.add_argument("--tryon-sizes", nargs="*", default=["256x192", "512x384"],
                    help="photo sizes of the whole learned try-on (none: skip it)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_models.json")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()[0]
    runs = []
    for size in args.sizes:
        h, w = (int(v) for v in size.lower().split("x"))
        for res in measure_size(args.only, h, w, args.batch, args.repeats, args.warmup, args.interleave):
            print(f"{res['network']:12s} {res['size']:>8s}  {res['parameters'] / 1e6:7.2f} M params  "
                  f"median {res['median_ms']:8.1f} ms  p90 {res['p90_ms']:8.1f} ms", flush=True)
            runs.append(res)
    by = {(r["network"], r["size"]): r["median_ms"] for r in runs}
    for size in args.sizes:
        if ("cpvton-gmm", size) in by and ("cpvton-tom", size) in by:
            runs.append({"network": "cpvton-gmm+tom (networks only)", "size": size,
                         "median_ms": round(by[("cpvton-gmm", size)] + by[("cpvton-tom", size)], 2)})
        if ("warp-flow", size) in by and ("tryon-unet", size) in by:
            runs.append({"network": "warp-flow+tryon-unet (networks only)", "size": size,
                         "median_ms": round(by[("warp-flow", size)] + by[("tryon-unet", size)], 2)})
    tryons = measure_tryon(args.tryon_sizes, args.repeats, args.warmup) if args.tryon_sizes else []
    for t in tryons:
        print(f"learned try-on {t['photo_size']:>8s} (nets at {t['network_size']}): garment cached "
              f"{t['median_ms_garment_cached']:.1f} ms, garment analysed {t['median_ms_garment_analysed']:.1f} ms", flush=True)
    out = {
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "threads": args.threads,
            # other processes on a 2-core machine inflate latencies: check these are low
            "load_average_1min_before": round(load_before, 2),
            "load_average_1min_after": round(os.getloadavg()[0], 2),
        },
        "fitroom_version": fitroom.__version__,
        "note": "cpvton-* are size-faithful approximations of CP-VTON's GMM and TOM built in this file",
        "runs": runs,
        "learned_tryon": tryons,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
