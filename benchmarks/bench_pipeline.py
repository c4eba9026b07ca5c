"""Latency of the try-on pipeline per stage and end to end, cold and cached; peak memory.

Usage:  .venv/bin/python benchmarks/bench_pipeline.py [--repeats 15] [--out benchmarks/results/bench_pipeline.json]

Inputs: a VITON-HD photo from ../shared/realdata (768x1024, and resized to 384x512) when
present, else the bundled example photo padded to those sizes; garment: the bundled striped
tee (torso and two sleeves). "cold" computes the person and garment analyses every time;
"cached_person" reuses the person analysis (a shopper browsing a catalog; the garment is
analysed every time); "cached_both" also reuses the garment analysis (catalog garments are
analysed once on upload). Baselines measured in the same process: the bare MediaPipe pose
call (a floor for person analysis) and an exact per-pixel TPS (what the coarse-grid fast
path replaces).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"


def _median_ms(fn, repeats: int) -> tuple[float, list[float]]:
    xs = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        xs.append((time.perf_counter() - t) * 1e3)
    return statistics.median(xs), xs


def _person_at(size: tuple[int, int]) -> tuple[np.ndarray, str]:
    from fitroom.examples import example_person
    from fitroom.imaging import load_image

    hd = REALDATA / "hd_unpaired" / "image" / "00891_00.jpg"
    if hd.exists():
        img, src = load_image(hd), str(hd.relative_to(REALDATA.parent))
    else:
        a = load_image(example_person())
        pad = np.full((683, 512, 3), 255, np.uint8)
        pad[:512] = a
        img, src = pad, "bundled astronaut, padded"
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA), src


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_pipeline.json")
    args = ap.parse_args()

    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import fitroom.pipelines"], check=True)
    import_s = time.perf_counter() - t

    from fitroom.examples import example_garments
    from fitroom.geometry import tps_dense_map, tps_fit
    from fitroom.imaging import load_image
    from fitroom.person import mediapipe_models as mpm
    from fitroom.pipelines import TryOnPipeline

    t = time.perf_counter()
    pipe = TryOnPipeline("classical")  # this benchmark measures the classical engine's stages
    pipe.warm_up()
    load_s = time.perf_counter() - t

    # a tee: torso and two sleeves, the most work per try-on
    garment_path = next((p for p in example_garments() if p.stem.startswith("tee")), example_garments()[0])
    report: dict = {
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count(),
                    "processor": platform.processor() or platform.machine()},
        "process_start_and_import_s": import_s,
        "model_load_s": load_s,
        "repeats": args.repeats,
        "garment": garment_path.name,
        "sizes": {},
    }
    for size in ((768, 1024), (384, 512)):
        person, src = _person_at(size)
        garment = cv2.resize(load_image(garment_path), size, interpolation=cv2.INTER_AREA)
        key = f"{size[0]}x{size[1]}"
        stages: dict[str, list[float]] = {}

        def cold():
            pipe._people.clear()
            pipe._garments.clear()
            r = pipe(person, garment)
            for k, v in r.timings_ms.items():
                stages.setdefault(k, []).append(v)

        cold()  # warm caches of code paths
        stages.clear()
        cold_ms, _ = _median_ms(cold, args.repeats)
        pa = pipe.analyze_person(person)

        def cached_person():
            pipe._garments.clear()
            pipe(pa, garment)

        ga = pipe.analyze_garment(garment)
        cached_person_ms, _ = _median_ms(cached_person, args.repeats)
        cached_both_ms, _ = _median_ms(lambda: pipe(pa, ga), args.repeats)

        # baselines, same process
        pose_ms, _ = _median_ms(lambda: mpm.run_pose(cv2.resize(person, (384, 512)) if size[1] > 512 else person), args.repeats)
        r = pipe(pa, ga)
        params = tps_fit(r.placement.torso.dst, r.placement.torso.src, 1e-3)
        coarse_ms, _ = _median_ms(lambda: tps_dense_map(params, size, 8), args.repeats)
        exact_ms, _ = _median_ms(lambda: tps_dense_map(params, size, 1), max(3, args.repeats // 5))
        report["sizes"][key] = {
            "person_photo": src,
            "end_to_end_cold_ms": cold_ms,
            "end_to_end_cached_person_ms": cached_person_ms,
            "end_to_end_cached_person_and_garment_ms": cached_both_ms,
            "stage_median_ms_cold": {k: statistics.median(v) for k, v in stages.items()},
            "baseline_mediapipe_pose_ms": pose_ms,
            "baseline_tps_map_exact_ms": exact_ms,
            "tps_map_coarse_grid_ms": coarse_ms,
        }
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
