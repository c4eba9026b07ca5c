"""``fitroom serve``: a real server process that prints its address; bad settings are one line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _fitroom() -> list[str]:
    exe = Path(sys.executable).with_name("fitroom")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "fitroom.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_prints_address_and_serves(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FITROOM_")}
    env["FITROOM_DATA_DIR"] = str(tmp_path / "data")
    p = subprocess.Popen([*_fitroom(), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < 90:
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "ready" in line:
                break
        assert any(f"open http://127.0.0.1:{port}/" in ln for ln in lines), lines
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            assert json.load(r)["status"] == "ok"
        assert (tmp_path / "data" / "fitroom.db").exists()
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(30)


def test_serve_bad_setting_is_one_line_error(tmp_path):
    env = {**os.environ, "FITROOM_DATA_DIR": str(tmp_path), "FITROOM_MAX_UPLOAD_BYTES": "-5"}
    r = subprocess.run([*_fitroom(), "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "error: invalid setting FITROOM_MAX_UPLOAD_BYTES: Input should be greater than 0"]


def test_worker_needs_redis(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FITROOM_")}
    env["FITROOM_DATA_DIR"] = str(tmp_path)
    r = subprocess.run([*_fitroom(), "worker"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "FITROOM_REDIS_URL" in r.stderr and len(r.stderr.strip().splitlines()) == 1
