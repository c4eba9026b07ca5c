"""Start-up: from process start to the first try-on, per engine, as a user runs the CLI.

Usage:  .venv/bin/python benchmarks/bench_startup.py [--baseline /path/to/other/checkout]
        [--engines learned classical] [--rounds 5] [--out benchmarks/results/bench_startup.json]

Each round runs, in fresh processes, ``python -m fitroom.cli tryon`` on the bundled photo and
striped tee (wall time from spawn to exit, the whole thing a user waits for), and a child that
times the stages of the same work: imports, engine load (torch and the weights for the learned
engine), the person analysis (MediaPipe's import and graphs on first use), the garment
analysis, the first try-on and a second one (what the first one's warm-up cost). With
``--baseline``, the other checkout's ``src`` runs the same, alternating round by round, so
both see the same machine load. Medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STAGES = r"""
import json, sys, time
t0 = time.perf_counter()
from fitroom.examples import example_garments, example_person
from fitroom.imaging import load_image
from fitroom.pipelines import TryOnPipeline
t1 = time.perf_counter()
pipe = TryOnPipeline(sys.argv[1])
t2 = time.perf_counter()
pa = pipe.analyze_person(load_image(example_person()))
t3 = time.perf_counter()
ga = pipe.analyze_garment(load_image([g for g in example_garments() if "tee" in g.name][0]))
t4 = time.perf_counter()
pipe(pa, ga)
t5 = time.perf_counter()
pipe(pa, ga)
t6 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "engine_load": t2 - t1, "person_first": t3 - t2, "garment_first": t4 - t3,
                  "tryon_first": t5 - t4, "tryon_again": t6 - t5}))
"""


def _env(src: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src)
    return env


def _cli(src: Path, engine: str, tmp: Path) -> float:
    from fitroom.examples import example_garments, example_person

    tee = [g for g in example_garments() if "tee" in g.name][0]
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "fitroom.cli", "tryon", str(example_person()), str(tee), "-o",
                        str(tmp / f"{engine}.png"), "--engine", engine], env=_env(src), capture_output=True,
                       text=True, timeout=300)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"error: fitroom tryon failed ({src}): {p.stderr.strip()[-500:]}")
    return dt


def _stages(src: Path, engine: str) -> dict:
    p = subprocess.run([sys.executable, "-c", STAGES, engine], env=_env(src), capture_output=True, text=True,
                       timeout=300)
    if p.returncode != 0:
        raise SystemExit(f"error: the stage timing failed ({src}): {p.stderr.strip()[-500:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", type=Path, default=None, help="another checkout to run beside this one")
    ap.add_argument("--engines", nargs="+", default=["learned", "classical"])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_startup.json")
    a = ap.parse_args()
    if a.rounds < 1:
        raise SystemExit("error: --rounds must be at least 1")
    versions = {"this": ROOT / "src"}
    if a.baseline is not None:
        if not (a.baseline / "src" / "fitroom").is_dir():
            raise SystemExit(f"error: --baseline {a.baseline} has no src/fitroom")
        versions["baseline"] = a.baseline / "src"
    runs: dict = {v: {e: {"cli_s": [], "stages": []} for e in a.engines} for v in versions}
    with tempfile.TemporaryDirectory() as td:
        for r in range(a.rounds):
            for v, src in versions.items():
                for e in a.engines:
                    runs[v][e]["cli_s"].append(_cli(src, e, Path(td)))
                    runs[v][e]["stages"].append(_stages(src, e))
            print(f"round {r + 1}/{a.rounds} done", flush=True)
    result = {"rounds": a.rounds, "cpu_count": os.cpu_count(), "load_average": os.getloadavg(),
              "python": sys.version.split()[0], "versions": {}}
    for v in versions:
        result["versions"][v] = {"src": str(versions[v]), "engines": {}}
        for e in a.engines:
            st = runs[v][e]["stages"]
            med = {k: statistics.median(s[k] for s in st) for k in st[0]}
            result["versions"][v]["engines"][e] = {"cli_median_s": statistics.median(runs[v][e]["cli_s"]),
                                                   "stages_median_s": med, "cli_s": runs[v][e]["cli_s"]}
            stages = " ".join(f"{k} {x:.2f}" for k, x in med.items())
            print(f"{v:8s} {e:9s} process start to first result {statistics.median(runs[v][e]['cli_s']):.2f} s"
                  f"  ({stages})")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
