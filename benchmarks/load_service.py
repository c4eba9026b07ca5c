"""Load test of the service on loopback: N concurrent shoppers trying on garments.

Starts ``fitroom serve`` with its embedded defaults (SQLite, local files, in-process
workers) in a fresh data folder, unless ``--url`` points at a running server. Each virtual
user signs up, uploads a photo (the VITON-HD people of ``../shared/realdata/hd_unpaired``,
768x1024, when present; else the bundled 512x512 photo), then, until the time is up,
picks a catalog garment, submits a try-on, long-polls for the result and downloads the
image. Latency of a try-on = submit -> image downloaded. Bounded in time; loopback only.

    .venv/bin/python benchmarks/load_service.py                 # 20 users, 120 s
    .venv/bin/python benchmarks/load_service.py --users 5 --duration 20

Writes benchmarks/results/load_service.json (``--no-reuse``: load_service_no_reuse.json, where
every try-on is computed even when the user tried that photo and garment before).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("FITROOM_REALDATA", REPO.parent / "shared" / "realdata"))
RESULTS = REPO / "benchmarks" / "results" / "load_service.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _photos() -> tuple[list[Path], str]:
    hd = sorted((REALDATA / "hd_unpaired" / "image").glob("*.jpg"))
    if hd:
        return hd, "VITON-HD people, 768x1024 (../shared/realdata/hd_unpaired)"
    return [REPO / "src" / "fitroom" / "examples" / "astronaut.jpg"], "bundled astronaut.jpg, 512x512"


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def _start_server(port: int, data_dir: Path, extra_env: dict[str, str]) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("fitroom")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "fitroom.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FITROOM_")}
    env.update({"FITROOM_DATA_DIR": str(data_dir), **extra_env})
    p = subprocess.Popen([*cmd, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 120:
        line = p.stdout.readline()
        if not line and p.poll() is not None:
            raise SystemExit(f"server exited with {p.returncode}")
        if "ready" in line:
            print(line.strip(), flush=True)
            return p
    p.kill()
    raise SystemExit("server did not start in 120 s")


class Stats:
    def __init__(self):
        self.latencies: list[float] = []  # submit -> image downloaded
        self.job_seconds: list[float] = []  # submit -> status succeeded
        self.errors: dict[str, int] = {}
        self.requests = 0

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def _user(i: int, client: httpx.AsyncClient, photo: bytes, deadline: float, stats: Stats,
                ready: asyncio.Barrier, rng: random.Random) -> None:
    email = f"load{i}-{rng.randrange(10**9)}@example.com"
    r = await client.post("/v1/auth/signup", json={"email": email, "password": "load test password"})
    r.raise_for_status()
    h = {"Authorization": f"Bearer {r.json()['token']}"}
    r = await client.post("/v1/photos", headers=h, files={"file": ("me.jpg", photo, "image/jpeg")})
    r.raise_for_status()
    photo_id = r.json()["id"]
    garments = [g["id"] for g in (await client.get("/v1/garments", headers=h)).json()["items"]]
    stats.requests += 3
    await ready.wait()
    while time.monotonic() < deadline:
        gid = rng.choice(garments)
        t0 = time.perf_counter()
        try:
            r = await client.post("/v1/tryons", headers=h, json={"photo_id": photo_id, "garment_id": gid})
            stats.requests += 1
            if r.status_code != 202:
                stats.error(f"submit {r.status_code} {r.json().get('error', {}).get('code')}")
                await asyncio.sleep(0.5)
                continue
            job = r.json()
            while job["status"] not in ("succeeded", "failed"):
                r = await client.get(f"/v1/tryons/{job['id']}", headers=h, params={"wait": 30})
                stats.requests += 1
                if r.status_code != 200:
                    stats.error(f"poll {r.status_code}")
                    break
                job = r.json()
            if job["status"] != "succeeded":
                stats.error(f"job {job['status']} {job.get('error')}")
                continue
            t_done = time.perf_counter()
            img = await client.get(job["image_url"], headers=h)
            stats.requests += 1
            if img.status_code != 200 or not img.content:
                stats.error(f"image {img.status_code}")
                continue
            t1 = time.perf_counter()
            stats.latencies.append(t1 - t0)
            stats.job_seconds.append(t_done - t0)
        except httpx.HTTPError as e:
            stats.error(f"http {type(e).__name__}")


async def _run(url: str, users: int, duration: float, photos: list[Path], seed: int) -> tuple[Stats, float, dict]:
    stats = Stats()
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=users * 2, max_keepalive_connections=users * 2, keepalive_expiry=30)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        ready = asyncio.Barrier(users + 1)
        t_setup = time.monotonic()
        far = time.monotonic() + 3600  # users loop until cancelled when the time is up
        tasks = []
        for i in range(users):
            data = photos[i % len(photos)].read_bytes()
            tasks.append(asyncio.create_task(_user(i, client, data, far, stats, ready, random.Random(seed + i))))
        await ready.wait()  # every user signed up and uploaded a photo
        setup_s = time.monotonic() - t_setup
        start = time.monotonic()
        await asyncio.sleep(duration)
        stop_submitting = time.monotonic()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        elapsed = stop_submitting - start
        metrics = (await client.get("/metrics")).text
    return stats, elapsed, {"setup_seconds": round(setup_s, 2), "metrics_tail": _job_metrics(metrics)}


def _job_metrics(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        if line.startswith(("fitroom_jobs_total", "fitroom_tryon_job_seconds_sum", "fitroom_tryon_job_seconds_count",
                            "fitroom_tryons{")):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--duration", type=float, default=120.0, help="seconds of load (after set-up)")
    ap.add_argument("--url", default=None, help="test a running server instead of starting one")
    ap.add_argument("--workers", type=int, default=None, help="FITROOM_WORKERS for the started server")
    ap.add_argument("--keep-rate-limits", action="store_true",
                    help="keep the server's per-user rate limits (by default the started server gets very high "
                         "ones: a virtual user here submits several try-ons a second, which the defaults refuse "
                         "with 429 as they should for a person)")
    ap.add_argument("--no-reuse", action="store_true",
                    help="FITROOM_REUSE_RESULTS=false: every try-on is computed, even a pair tried before")
    ap.add_argument("--out", type=Path, default=None, help="default benchmarks/results/load_service[_no_reuse].json")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engine", choices=("classical", "learned"), default=None,
                    help="FITROOM_ENGINE for the started server (default: the server's own default)")
    args = ap.parse_args()
    if args.out is None:
        args.out = RESULTS.with_name("load_service_no_reuse.json") if args.no_reuse else RESULTS
    if not (1 <= args.users <= 200 and 1 <= args.duration <= 900):
        raise SystemExit("--users must be 1..200 and --duration 1..900 seconds")

    photos, photo_desc = _photos()
    server = None
    data_dir = None
    url = args.url
    load_before = os.getloadavg()
    if url is None:
        port = _free_port()
        data_dir = Path(tempfile.mkdtemp(prefix="fitroom-load-"))
        extra = {"FITROOM_WORKERS": str(args.workers)} if args.workers else {}
        if args.no_reuse:
            extra["FITROOM_REUSE_RESULTS"] = "false"
        if args.engine:
            extra["FITROOM_ENGINE"] = args.engine
        if not args.keep_rate_limits:
            extra["FITROOM_RATE_LIMIT_PER_MINUTE"] = "1000000"
            extra["FITROOM_TRYON_RATE_LIMIT_PER_MINUTE"] = "1000000"
        server = _start_server(port, data_dir, extra)
        url = f"http://127.0.0.1:{port}"
    try:
        stats, elapsed, info = asyncio.run(_run(url, args.users, args.duration, photos, args.seed))
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
            shutil.rmtree(data_dir, ignore_errors=True)
    lat = stats.latencies
    result = {
        "what": "try-on latency = POST /v1/tryons -> GET ?wait= long poll -> image downloaded, per virtual user in a closed loop",
        "server": "fitroom serve, embedded defaults (SQLite WAL, local files, in-process worker pool)" if server else url,
        "workers": args.workers or 2,
        "engine": args.engine or "server default",
        "reuse_results": not args.no_reuse,
        "rate_limits": "server defaults" if args.keep_rate_limits or args.url else "raised to 1e6/min for the load test",
        "users": args.users,
        "duration_s": round(elapsed, 1),
        "photos": photo_desc,
        "garments": "demo catalog (4 bundled garments, 768x1024)",
        "tryons_completed": len(lat),
        "throughput_tryons_per_s": round(len(lat) / elapsed, 2) if elapsed else None,
        "latency_s": {"p50": _r(_pct(lat, 0.5)), "p95": _r(_pct(lat, 0.95)), "p99": _r(_pct(lat, 0.99)),
                      "max": _r(max(lat) if lat else None), "mean": _r(sum(lat) / len(lat) if lat else None)},
        "submit_to_succeeded_s": {"p50": _r(_pct(stats.job_seconds, 0.5)), "p95": _r(_pct(stats.job_seconds, 0.95))},
        "errors": sum(stats.errors.values()),
        "error_kinds": stats.errors,
        "requests": stats.requests,
        "note_on_end": "try-ons still in flight when the time is up are cancelled and not counted",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in os.getloadavg()],
                    "note": "2 shared cores; the load generator runs on the same cores, and other agents' "
                            "processes may use them too"},
        **info,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("users", "duration_s", "tryons_completed", "throughput_tryons_per_s",
                                             "latency_s", "errors")}, indent=2))
    print(f"wrote {args.out}")


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


if __name__ == "__main__":
    main()
