"""Job claims, fenced completion, the reaper, and workers that die mid-job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from fitroom.service.jobs import claim, reap, run_job
from fitroom.service.models import Event, TryOn, utcnow

from .helpers import REDIS_URL, app_on, auth, demo_garment, pg_schema, redis_prefix, running_app, signup, upload_photo


def _queued_job(c, workers_off=True):
    h = signup(c)
    photo = upload_photo(c, h)
    g = demo_garment(c, h)
    svc = c.app.state.services
    job = TryOn(user_id=h["_id"], photo_id=photo["id"], garment_id=g["id"], status="queued")
    with svc.db.session() as s:  # a row no queue knows about yet
        s.add(job)
        s.commit()
    return h, job.id


def _events(svc, job_id, kind="tryon.succeeded") -> int:
    with svc.db.session() as s:
        return s.execute(select(func.count()).select_from(Event).where(Event.ref_id == job_id, Event.kind == kind)).scalar_one()


@pytest.fixture(scope="module")
def idle(tmp_path_factory):
    """An app with no worker threads and a slow reaper: the tests drive the jobs themselves."""
    with running_app(tmp_path_factory.mktemp("jobs"), workers=0, reaper_interval_seconds=3600,
                     job_lease_seconds=30) as c:
        yield c


def test_only_one_worker_can_claim_a_job(idle):
    svc = idle.app.state.services
    _, job_id = _queued_job(idle)
    assert claim(svc.db, job_id, "w1", 30, 3) == 1
    assert claim(svc.db, job_id, "w2", 30, 3) is None
    with svc.db.session() as s:
        row = s.get(TryOn, job_id)
    assert row.status == "running" and row.worker_id == "w1" and row.attempts == 1


def test_expired_lease_is_requeued_then_completed_exactly_once(idle):
    """A worker claims a job and dies (its lease runs out): the reaper requeues it, a second
    worker completes it, and the dead worker's attempt can no longer finish it."""
    svc = idle.app.state.services
    h, job_id = _queued_job(idle)
    assert claim(svc.db, job_id, "dead-worker", 30, 3) == 1
    with svc.db.session() as s:
        s.execute(update(TryOn).where(TryOn.id == job_id).values(lease_until=utcnow() - timedelta(seconds=1)))
        s.commit()
    ctx = svc.queue.ctx
    assert job_id in reap(ctx, pending=None)
    with svc.db.session() as s:
        assert s.get(TryOn, job_id).status == "queued"
    assert run_job(ctx, job_id, "live-worker") == "succeeded"
    assert run_job(ctx, job_id, "another") is None  # already done
    with svc.db.session() as s:
        row = s.get(TryOn, job_id)
        # the dead worker's fenced completion changes nothing
        res = s.execute(update(TryOn).where(TryOn.id == job_id, TryOn.worker_id == "dead-worker",
                                            TryOn.attempts == 1, TryOn.status == "running").values(status="failed"))
        assert res.rowcount == 0
    assert row.status == "succeeded" and row.attempts == 2 and row.worker_id == "live-worker"
    assert _events(svc, job_id) == 1
    r = idle.get(f"/v1/tryons/{job_id}/image", headers=auth(h))
    assert r.status_code == 200


def test_job_out_of_attempts_fails_with_worker_lost(idle):
    svc = idle.app.state.services
    h, job_id = _queued_job(idle)
    ctx = svc.queue.ctx
    for attempt in range(1, 4):
        assert claim(svc.db, job_id, f"w{attempt}", 30, 3) == attempt
        with svc.db.session() as s:
            s.execute(update(TryOn).where(TryOn.id == job_id).values(lease_until=utcnow() - timedelta(seconds=1)))
            s.commit()
        reap(ctx, pending=None)
    r = idle.get(f"/v1/tryons/{job_id}", headers=auth(h)).json()
    assert r["status"] == "failed" and r["error"]["code"] == "worker_lost" and r["attempts"] == 3


def test_queued_jobs_nobody_holds_are_resubmitted(idle):
    svc = idle.app.state.services
    _, job_id = _queued_job(idle)
    with svc.db.session() as s:
        s.execute(update(TryOn).where(TryOn.id == job_id).values(created_at=utcnow() - timedelta(seconds=60)))
        s.commit()
    assert job_id in reap(svc.queue.ctx, pending=0)
    assert job_id not in reap(svc.queue.ctx, pending=5)  # the queue still has work: leave it


def test_jobs_left_queued_are_run_after_a_restart(tmp_path):
    with running_app(tmp_path, workers=0) as c:
        h, job_id = _queued_job(c)
    with running_app(tmp_path, workers=1) as c:  # same data dir: the job is picked up
        r = c.get(f"/v1/tryons/{job_id}", headers=auth(h), params={"wait": 20}).json()
        assert r["status"] == "succeeded"


def test_redis_queue_runs_jobs(tmp_path):
    """The API pushes ids onto a real Redis list; a Redis worker thread runs them."""
    with app_on("sqlite+redis", tmp_path, workers=1) as c:
        svc = c.app.state.services
        assert svc.queue.name == "redis" and c.get("/healthz").json()["queue"] == "redis"
        h = signup(c)
        photo = upload_photo(c, h)
        r = c.post("/v1/tryons", headers=auth(h), json={"photo_id": photo["id"], "garment_id": demo_garment(c, h)["id"]})
        done = c.get(f"/v1/tryons/{r.json()['id']}", headers=auth(h), params={"wait": 20}).json()
        assert done["status"] == "succeeded"


def _start_worker(env: dict, log: Path) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("fitroom")
    cmd = [str(exe), "worker"] if exe.exists() else [sys.executable, "-m", "fitroom.cli", "worker"]
    return subprocess.Popen(cmd, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)


def _wait_ready(p: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if b"worker ready" in log.read_bytes():
            return
        if p.poll() is not None:
            raise AssertionError(f"worker exited: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    raise AssertionError("worker did not start")


@pytest.mark.slow
def test_killed_worker_process_job_is_retried_and_completed_once(tmp_path):
    """Real processes on PostgreSQL + Redis: worker A takes the job and is SIGKILLed mid-job;
    worker B (after A's lease runs out) completes it; exactly one completion is recorded."""
    with pg_schema() as db_url, redis_prefix() as prefix:
        with running_app(tmp_path, database_url=db_url, redis_url=REDIS_URL, redis_prefix=prefix,
                         job_lease_seconds=2, reaper_interval_seconds=0.5) as c:
            svc = c.app.state.services
            assert svc.queue.threads == 0  # only the worker processes run jobs
            env = {**os.environ, "FITROOM_DATA_DIR": str(tmp_path), "FITROOM_DATABASE_URL": db_url,
                   "FITROOM_REDIS_URL": REDIS_URL, "FITROOM_REDIS_PREFIX": prefix, "FITROOM_JOB_LEASE_SECONDS": "2",
                   "FITROOM_REAPER_INTERVAL_SECONDS": "0.5"}
            a = _start_worker({**env, "FITROOM_JOB_DELAY_SECONDS": "30"}, tmp_path / "a.log")
            b = None
            try:
                _wait_ready(a, tmp_path / "a.log")
                h = signup(c)
                photo = upload_photo(c, h)
                r = c.post("/v1/tryons", headers=auth(h), json={"photo_id": photo["id"], "garment_id": demo_garment(c, h)["id"]})
                job_id = r.json()["id"]
                t0 = time.monotonic()
                while True:  # A has claimed it and is working on it
                    with svc.db.session() as s:
                        row = s.get(TryOn, job_id)
                    if row.status == "running" and f":{a.pid}:" in (row.worker_id or ""):
                        break
                    assert time.monotonic() - t0 < 30, "worker A never took the job"
                    time.sleep(0.05)
                a.send_signal(signal.SIGKILL)
                a.wait(10)
                b = _start_worker(env, tmp_path / "b.log")
                _wait_ready(b, tmp_path / "b.log")
                done = c.get(f"/v1/tryons/{job_id}", headers=auth(h), params={"wait": 30}).json()
                assert done["status"] == "succeeded", done
                assert done["attempts"] == 2
                with svc.db.session() as s:
                    row = s.get(TryOn, job_id)
                assert f":{b.pid}:" in row.worker_id
                assert _events(svc, job_id) == 1
                assert c.get(f"/v1/tryons/{job_id}/image", headers=auth(h)).status_code == 200
                text = c.get("/metrics").text
                assert 'fitroom_jobs_total{outcome="requeued"}' in text or "requeued" in (tmp_path / "b.log").read_text()
            finally:
                for p in (a, b):
                    if p is not None and p.poll() is None:
                        p.send_signal(signal.SIGTERM)
                        try:
                            p.wait(15)
                        except subprocess.TimeoutExpired:
                            p.kill()


def test_erasure_tells_redis_workers_to_forget(tmp_path):
    import redis

    from fitroom.service.jobs import forget_channel

    with app_on("sqlite+redis", tmp_path) as c:
        svc = c.app.state.services
        sub = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
        sub.subscribe(forget_channel(svc.settings))
        h = signup(c)
        photo = upload_photo(c, h)
        assert c.delete(f"/v1/photos/{photo['id']}", headers=auth(h)).status_code == 204
        msg = None
        for _ in range(50):
            msg = sub.get_message(timeout=0.1)
            if msg:
                break
        assert msg is not None and photo["id"] in msg["data"].decode().split()
        sub.close()
