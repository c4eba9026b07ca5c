"""The hardening issue's attacks on a real ``fitroom serve``, measured: status codes, bytes the
server took before answering, and the server's peak memory.

Usage:  .venv/bin/python benchmarks/attack_service.py [--baseline /path/to/other/checkout]
        [--out benchmarks/results/attack_service.json]

Each server starts with its embedded defaults (SQLite, in-process queue) in a fresh data
folder; with ``--baseline`` the same attacks run against a server importing ``fitroom`` from
that checkout's ``src/`` (e.g. the version before the fixes), one after the other.

* ``chunked_upload_bad_token``: 200 MB as a chunked multipart upload with an invalid token.
* ``chunked_signin_json``: 200 MB of chunked JSON to ``/v1/auth/signin``.
* ``extra_field``: a real photo plus a 100 MB extra form field (Content-Length declared).
* ``decode_flood``: ``--flood`` (8) uploads at once of a 6300x6300 PNG (128 KB, just under the 40 MP limit)
  by a signed-in user. Peak RSS: the server's VmHWM (Linux) after the attack, against its
  resident size just before.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "attack_service.json"
PHOTO = REPO / "src" / "fitroom" / "examples" / "astronaut.jpg"
MB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(port: int, data_dir: Path, src: Path | None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FITROOM_")}
    env.update({"FITROOM_DATA_DIR": str(data_dir), "FITROOM_AUTH_RATE_LIMIT_PER_MINUTE": "100000",
                "FITROOM_RATE_LIMIT_PER_MINUTE": "100000"})
    if src is not None:
        env["PYTHONPATH"] = str(src)
    p = subprocess.Popen([sys.executable, "-m", "fitroom.cli", "serve", "--port", str(port)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 180:
        line = p.stdout.readline()
        if not line and p.poll() is not None:
            raise SystemExit(f"server exited with {p.returncode}")
        if "ready" in line:
            return p
    p.kill()
    raise SystemExit("server did not start")


def _mem(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    get = lambda k: int(re.search(rf"{k}:\s+(\d+)", status).group(1)) / 1024  # noqa: E731
    return {"rss_mb": get("VmRSS"), "peak_mb": get("VmHWM")}


def _chunked(port: int, path: str, headers: dict, total: int, first: bytes = b"") -> dict:
    """Send a chunked body of ``total`` bytes (stops when the server answers)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sock.sendall(head.encode() + (f"{len(first):x}\r\n".encode() + first + b"\r\n" if first else b""))
    chunk = 256 * 1024
    frame = f"{chunk:x}\r\n".encode() + b"x" * chunk + b"\r\n"
    sent, answer, t0 = 0, b"", time.perf_counter()
    try:
        while sent < total and not select.select([sock], [], [], 0)[0]:
            sock.sendall(frame)
            sent += chunk
        if sent >= total:
            sock.sendall(b"0\r\n\r\n")
        while b"\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        sock.close()
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None
    return {"status": status, "body_bytes_sent_before_answer": sent, "of": total,
            "seconds": round(time.perf_counter() - t0, 2)}


def _bomb_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (6300, 6300), (128, 128, 128)).save(buf, "PNG")
    return buf.getvalue()


def attack(src: Path | None, flood: int = 8) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="fitroom-attack-"))
    port = _free_port()
    p = _start(port, tmp / "data", src)
    base = f"http://127.0.0.1:{port}"
    out: dict = {}
    try:
        part = (b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="me.jpg"\r\n'
                b"Content-Type: image/jpeg\r\n\r\n")
        out["chunked_upload_bad_token"] = _chunked(port, "/v1/photos", {
            "Authorization": "Bearer not-a-token", "Content-Type": "multipart/form-data; boundary=xyz"},
            200 * MB, first=part)
        before = _mem(p.pid)
        out["chunked_signin_json"] = _chunked(port, "/v1/auth/signin", {"Content-Type": "application/json"}, 200 * MB)
        out["chunked_signin_json"]["server_rss_growth_mb"] = round(_mem(p.pid)["peak_mb"] - before["peak_mb"], 1)
        with httpx.Client(base_url=base, timeout=300) as c:
            r = c.post("/v1/auth/signup", json={"email": f"a{uuid.uuid4().hex[:8]}@example.com",
                                               "password": "correct horse 1"})
            h = {"Authorization": f"Bearer {r.json()['token']}"}
            r = c.post("/v1/photos", headers=h, files={"file": ("me.jpg", PHOTO.read_bytes(), "image/jpeg")},
                       data={"padding": "y" * (100 * MB)})
            out["extra_field"] = {"status": r.status_code}
            bomb = _bomb_png()
            before = _mem(p.pid)
            t0 = time.perf_counter()
            with ThreadPoolExecutor(flood) as ex:
                codes = list(ex.map(lambda _: c.post("/v1/photos", headers=h, files={
                    "file": ("big.png", bomb, "image/png")}).status_code, range(flood)))
            after = _mem(p.pid)
            out["decode_flood"] = {"png_bytes": len(bomb), "statuses": codes, "seconds": round(time.perf_counter() - t0, 2),
                                   "rss_before_mb": round(before["rss_mb"], 1), "peak_before_mb": round(before["peak_mb"], 1),
                                   "peak_after_mb": round(after["peak_mb"], 1),
                                   "peak_growth_mb": round(after["peak_mb"] - before["rss_mb"], 1)}
    finally:
        p.terminate()
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", type=Path, help="another checkout to attack the same way")
    ap.add_argument("--flood", type=int, default=8, help="uploads of the 40 MP PNG at once")
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args()
    res = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
           "flood": a.flood, "this": attack(REPO / "src", a.flood)}
    print(json.dumps({"this": res["this"]}, indent=1), flush=True)
    if a.baseline:
        res["baseline"] = {"checkout": str(a.baseline), **attack(a.baseline / "src", a.flood)}
        print(json.dumps({"baseline": res["baseline"]}, indent=1), flush=True)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=1) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
