"""SIGTERM with a try-on in flight: the server and the worker hand it back to the queue and
say how many they handed back (``stopping: 1 job requeued``)."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from fitroom.service.models import TryOn

from .helpers import REDIS_URL, auth, demo_garment, redis_prefix, running_app, signup, upload_photo


def _fitroom() -> list[str]:
    exe = Path(sys.executable).with_name("fitroom")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "fitroom.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FITROOM_")}
    env.update({"FITROOM_DATA_DIR": str(tmp_path / "data"), "FITROOM_JOB_DELAY_SECONDS": "30",
                "FITROOM_SHUTDOWN_GRACE_SECONDS": "0.5", "FITROOM_JOB_LEASE_SECONDS": "60"}, **extra)
    return env


def _wait_for(log: Path, text: str, p: subprocess.Popen, timeout: float = 90) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if text in log.read_text(errors="replace"):
            return
        if p.poll() is not None:
            raise AssertionError(f"exited ({p.returncode}):\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    raise AssertionError(f"no {text!r} in:\n{log.read_text()[-3000:]}")


def _wait_running(get_row, timeout: float = 30) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if get_row()[0] == "running":
            return
        time.sleep(0.05)
    raise AssertionError(f"the job never started: {get_row()}")


def _stop(p: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    p.send_signal(sig)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)
        raise AssertionError("did not stop in time") from None


@pytest.mark.slow
def test_serve_sigterm_requeues_the_running_job_and_says_so(tmp_path):
    """A real ``fitroom serve`` (SQLite, in-process workers) with a try-on in flight gets
    SIGTERM: one clear line with the real count, the job is queued again (not lost, not
    left 'running' until its lease runs out). With ``--log-level info`` the access log shows
    route templates, never the token sent in a header or the query string."""
    port = _free_port()
    log = tmp_path / "serve.log"
    p = subprocess.Popen([*_fitroom(), "serve", "--port", str(port), "--log-level", "info"],
                         env=_env(tmp_path, FITROOM_WORKERS="1"), stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    try:
        _wait_for(log, "fitroom is ready", p)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            h = signup(c)
            photo = upload_photo(c, h)
            r = c.post("/v1/tryons", headers=auth(h), json={"photo_id": photo["id"], "garment_id": demo_garment(c, h)["id"]})
            assert r.status_code == 202, r.text
            job_id = r.json()["id"]
            secret = "sekret-" + job_id[:8]
            _wait_running(lambda: (c.get(f"/v1/tryons/{job_id}", headers=auth(h),
                                         params={"access_token": secret}).json()["status"],))
        _stop(p)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(5)
    out = log.read_text()
    assert "fitroom: stopping: waiting up to 0.5 s for 1 running try-on" in out, out
    assert "fitroom: stopping: 1 job requeued" in out, out
    with sqlite3.connect(tmp_path / "data" / "fitroom.db") as db:
        row = db.execute("SELECT status, worker_id, lease_until, attempts FROM tryons WHERE id = ?", (job_id,)).fetchone()
    assert row == ("queued", None, None, 1), row
    # the access log: templates, status, duration; no id, no query string; no token anywhere
    access = [ln for ln in out.splitlines() if re.match(r"INFO:\s+(GET|POST|DELETE) ", ln)]
    assert any(re.fullmatch(r"INFO:\s+GET /v1/tryons/\{tryon_id\} 200 \d+\.\dms", ln) for ln in access), access
    assert any(re.fullmatch(r"INFO:\s+POST /v1/tryons 202 \d+\.\dms", ln) for ln in access), access
    for leaked in (job_id, photo["id"], "access_token", "?"):
        assert not [ln for ln in access if leaked in ln], leaked
    for leaked in (h["Authorization"].split()[1], secret):
        assert leaked not in out, leaked


@pytest.mark.slow
def test_worker_sigterm_requeues_the_running_job_and_says_so(tmp_path):
    """``fitroom worker`` (Redis queue) with a job in flight gets SIGTERM: the job goes back
    to 'queued' and to the front of the Redis list, and the worker says how many."""
    import redis

    with redis_prefix() as prefix:
        data = tmp_path / "data"
        with running_app(data, redis_url=REDIS_URL, redis_prefix=prefix, reaper_interval_seconds=3600) as c:
            svc = c.app.state.services
            log = tmp_path / "worker.log"
            exe = [*_fitroom(), "worker"]
            p = subprocess.Popen(exe, env=_env(tmp_path, FITROOM_REDIS_URL=REDIS_URL, FITROOM_REDIS_PREFIX=prefix,
                                               FITROOM_REAPER_INTERVAL_SECONDS="3600"),
                                 stdout=open(log, "wb"), stderr=subprocess.STDOUT)
            try:
                _wait_for(log, "worker ready", p)
                h = signup(c)
                photo = upload_photo(c, h)
                r = c.post("/v1/tryons", headers=auth(h), json={"photo_id": photo["id"], "garment_id": demo_garment(c, h)["id"]})
                job_id = r.json()["id"]

                def row():
                    with svc.db.session() as s:
                        return s.execute(select(TryOn.status, TryOn.worker_id, TryOn.attempts).where(TryOn.id == job_id)).one()

                _wait_running(row)
                assert f":{p.pid}:" in row()[1]
                _stop(p)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait(5)
            out = log.read_text()
            assert "fitroom worker: stopping: 1 job requeued" in out, out
            assert tuple(row()) == ("queued", None, 1)
            client = redis.Redis.from_url(REDIS_URL)
            try:
                assert job_id.encode() in client.lrange(svc.queue.key, 0, -1)
            finally:
                client.close()
