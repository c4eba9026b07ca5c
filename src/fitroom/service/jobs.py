"""Try-on jobs: state in the database, ids on a queue, leases so that none is lost.

* A job is a :class:`~fitroom.service.models.TryOn` row. Queues (a thread pool's in-process
  queue, or a Redis list read by ``fitroom worker`` processes) carry only its id, so a lost
  or duplicated queue entry is harmless.
* A worker **claims** a job with one conditional UPDATE (status queued, or running with an
  expired lease), which only one worker can win; it holds a lease that a :class:`LeaseKeeper`
  renews while it works.
* It **completes** the job with an UPDATE fenced by its ``worker_id`` and attempt number,
  in the same transaction as the ``tryon.succeeded`` event: a worker that lost its lease
  cannot complete the job a second time.
* The **reaper** (every process runs one) requeues running jobs whose lease expired (their
  worker died) until ``job_max_attempts``, then fails them with ``worker_lost``; it also
  resubmits queued jobs when the queue is empty (a Redis restart loses its lists).
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, or_, select, update

from fitroom.errors import FitroomError
from fitroom.service.db import Database
from fitroom.service.engine import TryOnEngine, decode_stored, encode_jpeg
from fitroom.service.models import Event, Garment, Photo, TryOn, utcnow
from fitroom.service.settings import Settings
from fitroom.service.storage import Storage

__all__ = ["InProcessQueue", "JobContext", "LeaseKeeper", "Notifier", "RedisQueue", "claim", "done_channel", "forget_channel", "queue_key", "reap", "run_job",
           "stopping_message", "worker_name"]

log = logging.getLogger("fitroom.jobs")

def queue_key(settings: Settings) -> str:
    return f"{settings.redis_prefix}tryons:queue"


def done_channel(settings: Settings) -> str:
    return f"{settings.redis_prefix}tryons:done"


def forget_channel(settings: Settings) -> str:
    """Ids of erased photos and garments, so that worker processes drop them from memory."""
    return f"{settings.redis_prefix}forget"


def stopping_message(requeued: int) -> str:
    """What a stopping server or worker says once its running try-ons are settled."""
    return f"stopping: {requeued} job{'' if requeued == 1 else 's'} requeued"


def worker_name(kind: str = "w") -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{kind}:{threading.get_ident() % 100000}"


class Notifier:
    """Wakes long-polling requests (``GET /v1/tryons/{id}?wait=``) when a job finishes."""

    def __init__(self):
        self._waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._lock = threading.Lock()

    def register(self, job_id: str) -> asyncio.Event:
        ev = asyncio.Event()
        with self._lock:
            self._waiters.setdefault(job_id, []).append((asyncio.get_running_loop(), ev))
        return ev

    def unregister(self, job_id: str, ev: asyncio.Event) -> None:
        with self._lock:
            lst = [w for w in self._waiters.get(job_id, []) if w[1] is not ev]
            if lst:
                self._waiters[job_id] = lst
            else:
                self._waiters.pop(job_id, None)

    def notify(self, job_id: str) -> None:
        with self._lock:
            waiters = list(self._waiters.get(job_id, []))
        for loop, ev in waiters:
            try:
                loop.call_soon_threadsafe(ev.set)
            except RuntimeError:  # the loop closed
                pass


@dataclass
class JobContext:
    """Everything a worker needs; one per process."""

    settings: Settings
    db: Database
    storage: Storage
    engine: TryOnEngine
    on_done: Callable[[str], None] = lambda job_id: None
    on_outcome: Callable[[str, float], None] = lambda outcome, seconds: None
    leases: LeaseKeeper | None = None


class LeaseKeeper:
    """One thread per process renewing the leases of the jobs it is working on."""

    def __init__(self, db: Database, lease_seconds: float):
        self.db, self.lease = db, lease_seconds
        self._held: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fitroom-leases", daemon=True)
        self._thread.start()

    def hold(self, job_id: str, worker_id: str, attempt: int) -> None:
        with self._lock:
            self._held[job_id] = (worker_id, attempt)

    def release(self, job_id: str) -> None:
        with self._lock:
            self._held.pop(job_id, None)

    def _run(self) -> None:
        while not self._stop.wait(self.lease / 3):
            with self._lock:
                held = dict(self._held)
            if not held:
                continue
            try:
                with self.db.session() as s:
                    until = utcnow() + timedelta(seconds=self.lease)
                    for job_id, (wid, attempt) in held.items():
                        s.execute(update(TryOn).where(TryOn.id == job_id, TryOn.worker_id == wid,
                                                      TryOn.attempts == attempt, TryOn.status == "running")
                                  .values(lease_until=until))
                    s.commit()
            except Exception:  # the next round tries again; the lease is long enough for a miss
                log.warning("could not renew leases", exc_info=True)

    def held(self) -> int:
        """How many jobs this process is working on now."""
        with self._lock:
            return len(self._held)

    def hand_back(self) -> list[str]:
        """Requeue every job this process still holds (it is stopping and will not finish
        them): back to ``queued`` with no lease, fenced by worker id, attempt and status, so a
        job that has just finished, or that another worker has since taken, is left alone.
        The attempt stays counted. Returns the ids actually requeued."""
        with self._lock:
            held, self._held = self._held, {}
        if not held:
            return []
        out: list[str] = []
        with self.db.session() as s:
            for job_id, (wid, attempt) in held.items():
                res = s.execute(update(TryOn).where(TryOn.id == job_id, TryOn.worker_id == wid,
                                                    TryOn.attempts == attempt, TryOn.status == "running")
                                .values(status="queued", worker_id=None, lease_until=None))
                if res.rowcount == 1:
                    out.append(job_id)
            s.commit()
        for job_id in out:
            log.info("try-on %s handed back to the queue (this process is stopping)", job_id)
        return out

    def stop(self) -> None:
        self._stop.set()


def _join(threads: list[threading.Thread], timeout: float, abort: threading.Event | None) -> None:
    """Wait for ``threads`` up to ``timeout`` seconds, or until ``abort`` is set."""
    deadline = time.monotonic() + timeout
    for t in threads:
        while t.is_alive() and (abort is None or not abort.is_set()):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            t.join(min(left, 0.1))


def _hand_back(ctx: JobContext) -> list[str]:
    if ctx.leases is None:
        return []
    try:
        return ctx.leases.hand_back()
    except Exception:  # the database is gone: the leases run out and the reaper requeues them
        log.warning("could not hand the running try-ons back to the queue", exc_info=True)
        return []


def claim(db: Database, job_id: str, worker_id: str, lease_seconds: float, max_attempts: int) -> int | None:
    """Take job ``job_id`` if it is free; its attempt number, or ``None`` if someone else has it."""
    now = utcnow()
    with db.session() as s:
        res = s.execute(
            update(TryOn)
            .where(TryOn.id == job_id, TryOn.attempts < max_attempts,
                   or_(TryOn.status == "queued", and_(TryOn.status == "running", TryOn.lease_until < now)))
            .values(status="running", worker_id=worker_id, attempts=TryOn.attempts + 1,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    started_at=func.coalesce(TryOn.started_at, now))
        )
        if res.rowcount != 1:
            s.rollback()
            return None
        attempt = s.execute(select(TryOn.attempts).where(TryOn.id == job_id)).scalar_one()
        s.commit()
        return int(attempt)


def _finish(ctx: JobContext, job_id: str, worker_id: str, attempt: int, **values) -> bool:
    """Fenced completion: only the worker holding the current attempt may finish the job."""
    with ctx.db.session() as s:
        row = s.execute(select(TryOn.user_id).where(TryOn.id == job_id)).first()
        if row is None:
            return False
        res = s.execute(update(TryOn).where(TryOn.id == job_id, TryOn.worker_id == worker_id,
                                            TryOn.attempts == attempt, TryOn.status == "running")
                        .values(finished_at=utcnow(), lease_until=None, **values))
        if res.rowcount != 1:
            s.rollback()
            return False
        s.add(Event(user_id=row.user_id, kind=f"tryon.{values['status']}", ref_id=job_id))
        s.commit()
        return True


def _stored_mask(ctx, garment):
    """The garment's stored mask, or None when it is missing or unreadable (then it is found
    in the photo again)."""
    from fitroom.service.engine import decode_stored_mask

    if not garment.mask_path or not ctx.storage.exists(garment.mask_path):
        return None
    try:
        return decode_stored_mask(ctx.storage.read(garment.mask_path))
    except (OSError, ValueError):
        return None


def _person_analysis(ctx: JobContext, photo: Photo):
    storage = ctx.storage

    def cached() -> bytes | None:
        return storage.read(photo.analysis_path) if storage.exists(photo.analysis_path) else None

    def save(blob: bytes) -> None:
        rel = storage.rel("users", photo.user_id, "analyses", f"{photo.id}.npz")
        storage.write(rel, blob)
        with ctx.db.session() as s:
            s.execute(update(Photo).where(Photo.id == photo.id).values(analysis_path=rel))
            s.commit()
        if photo.analysis_path and photo.analysis_path != rel:  # an older version's pickle: gone
            storage.delete(photo.analysis_path)

    return ctx.engine.person(photo.id, cached, lambda: decode_stored(storage.read(photo.image_path)), save)


def run_job(ctx: JobContext, job_id: str, worker_id: str | None = None) -> str | None:
    """Claim and run one job; its outcome (``succeeded``/``failed``), or ``None`` if not ours."""
    s_ = ctx.settings
    worker_id = worker_id or worker_name()
    attempt = claim(ctx.db, job_id, worker_id, s_.job_lease_seconds, s_.job_max_attempts)
    if attempt is None:
        return None
    if ctx.leases is not None:
        ctx.leases.hold(job_id, worker_id, attempt)
    t0 = time.perf_counter()
    rel = None
    try:
        if s_.job_delay_seconds:
            time.sleep(s_.job_delay_seconds)
        with ctx.db.session() as s:
            job = s.get(TryOn, job_id)
            photo = s.get(Photo, job.photo_id) if job is not None else None
            garment = s.get(Garment, job.garment_id) if job is not None and job.garment_id else None
        if job is None or photo is None:
            return None  # erased while queued: nothing to do
        if garment is None:
            ok = _finish(ctx, job_id, worker_id, attempt, status="failed", error_code="garment_deleted",
                         error_message="The garment was deleted before the try-on ran.")
            return _outcome(ctx, job_id, "failed", ok, t0)
        try:
            pa = _person_analysis(ctx, photo)
            # as stored: the category given at upload or detected; a try-off's own mask (a product
            # photo's is found again, with the inside of its neckline)
            mask_ = (lambda: _stored_mask(ctx, garment)) if garment.source == "tryoff" else None
            ga = ctx.engine.garment(garment.id, lambda: decode_stored(ctx.storage.read(garment.image_path)),
                                    category=garment.category, load_mask_=mask_)
            image = ctx.engine.try_on(pa, ga)
        except FitroomError as e:
            ok = _finish(ctx, job_id, worker_id, attempt, status="failed", error_code=e.code,
                         error_message=str(e).rstrip(".") + ".")
            return _outcome(ctx, job_id, "failed", ok, t0)
        rel = ctx.storage.rel("users", job.user_id, "results", f"{job_id}.jpg")
        ctx.storage.write(rel, encode_jpeg(image))
        ms = (time.perf_counter() - t0) * 1e3
        ok = _finish(ctx, job_id, worker_id, attempt, status="succeeded", result_path=rel, duration_ms=ms,
                     error_code=None, error_message=None)
        if not ok:
            _drop_orphan(ctx, job_id, rel)
        return _outcome(ctx, job_id, "succeeded", ok, t0)
    except Exception:
        # a bug or the database going away: the lease runs out and the reaper retries the job
        log.exception("try-on %s failed in worker %s (attempt %d)", job_id, worker_id, attempt)
        ctx.on_outcome("error", time.perf_counter() - t0)
        return None
    finally:
        if ctx.leases is not None:
            ctx.leases.release(job_id)


def _drop_orphan(ctx: JobContext, job_id: str, rel: str) -> None:
    """The job was erased (or finished by another worker) while we worked: keep no file of an
    erased job."""
    with ctx.db.session() as s:
        if s.get(TryOn, job_id) is None:
            ctx.storage.delete(rel)


def _outcome(ctx: JobContext, job_id: str, outcome: str, finished: bool, t0: float) -> str | None:
    if not finished:
        return None
    ctx.on_outcome(outcome, time.perf_counter() - t0)
    ctx.on_done(job_id)
    return outcome


def reap(ctx: JobContext, pending: int | None) -> list[str]:
    """Requeue jobs whose worker died; fail those out of attempts. Returns ids to (re)submit:
    the requeued ones, and, when the queue is empty (``pending == 0``), queued jobs older than
    a few seconds that no queue holds any more."""
    now = utcnow()
    out: list[str] = []
    s_ = ctx.settings
    with ctx.db.session() as s:
        stale = s.execute(select(TryOn.id, TryOn.attempts, TryOn.user_id)
                          .where(TryOn.status == "running", TryOn.lease_until < now)).all()
        for job_id, attempts, user_id in stale:
            if attempts >= s_.job_max_attempts:
                res = s.execute(update(TryOn).where(TryOn.id == job_id, TryOn.status == "running",
                                                    TryOn.lease_until < now, TryOn.attempts == attempts)
                                .values(status="failed", error_code="worker_lost", lease_until=None, finished_at=now,
                                        error_message="The try-on was interrupted too many times; please try again."))
                if res.rowcount == 1:
                    s.add(Event(user_id=user_id, kind="tryon.failed", ref_id=job_id))
                    ctx.on_done(job_id)
            else:
                res = s.execute(update(TryOn).where(TryOn.id == job_id, TryOn.status == "running",
                                                    TryOn.lease_until < now, TryOn.attempts == attempts)
                                .values(status="queued", worker_id=None, lease_until=None))
                if res.rowcount == 1:
                    log.warning("try-on %s: worker lost (attempt %d), requeued", job_id, attempts)
                    ctx.on_outcome("requeued", 0.0)
                    out.append(job_id)
        if pending == 0:
            old = now - timedelta(seconds=5)
            out += list(s.execute(select(TryOn.id).where(TryOn.status == "queued", TryOn.created_at < old)
                                  .order_by(TryOn.created_at).limit(1000)).scalars())
        s.commit()
    return list(dict.fromkeys(out))


class _Reaper:
    def __init__(self, ctx: JobContext, submit: Callable[[str], None], pending: Callable[[], int | None]):
        self.ctx, self.submit, self.pending = ctx, submit, pending
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fitroom-reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.ctx.settings.reaper_interval_seconds):
            try:
                for job_id in reap(self.ctx, self.pending()):
                    self.submit(job_id)
            except Exception:
                log.warning("reaper pass failed", exc_info=True)

    def stop(self) -> None:
        self._stop.set()


class InProcessQueue:
    """The default: a pool of threads in the server process (try-ons run off the event loop)."""

    name = "in-process"

    def __init__(self, ctx: JobContext, threads: int):
        self.ctx = ctx
        self.threads = threads
        self._q: queue.Queue[str | None] = queue.Queue()
        self._workers: list[threading.Thread] = []
        self._reaper = _Reaper(ctx, self.submit, self.pending)
        self._stopping = threading.Event()

    def start(self) -> None:
        with self.ctx.db.session() as s:  # jobs left queued by a previous run
            for job_id in s.execute(select(TryOn.id).where(TryOn.status == "queued").order_by(TryOn.created_at)).scalars():
                self._q.put(job_id)
        for i in range(self.threads):
            t = threading.Thread(target=self._work, name=f"fitroom-worker-{i}", daemon=True)
            t.start()
            self._workers.append(t)
        self._reaper.start()

    def submit(self, job_id: str) -> None:
        self._q.put(job_id)

    def pending(self) -> int | None:
        return self._q.qsize() if self.threads else None

    def _work(self) -> None:
        wid = worker_name("t")
        while True:
            job_id = self._q.get()
            if job_id is None or self._stopping.is_set():
                return  # jobs still queued stay queued in the database: the next start runs them
            try:
                run_job(self.ctx, job_id, wid)
            except Exception:  # run_job logs; never let a worker thread die
                log.exception("worker thread error")

    def stop(self, timeout: float = 10.0, abort: threading.Event | None = None) -> list[str]:
        """Finish the try-ons in progress (up to ``timeout``, or until ``abort`` is set), leave
        the rest queued, and hand back those still running; returns the ids handed back
        (queued in the database: the next start, or another process's reaper, runs them)."""
        self._stopping.set()
        self._reaper.stop()
        for _ in self._workers:
            self._q.put(None)
        _join(self._workers, timeout, abort)
        return _hand_back(self.ctx)


class RedisQueue:
    """Job ids on a Redis list, run by ``fitroom worker`` processes (and optionally by
    in-process threads too, ``FITROOM_WORKERS``)."""

    name = "redis"

    def __init__(self, ctx: JobContext, client, threads: int = 0):
        self.ctx, self.client, self.threads = ctx, client, threads
        self._reaper = _Reaper(ctx, self.submit, self.pending)
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self.key = queue_key(ctx.settings)

    def start(self, reaper: bool = True) -> None:
        for i in range(self.threads):
            t = threading.Thread(target=self.work_forever, name=f"fitroom-redis-worker-{i}", daemon=True)
            t.start()
            self._workers.append(t)
        if reaper:
            self._reaper.start()

    def submit(self, job_id: str) -> None:
        self.client.lpush(self.key, job_id)

    def pending(self) -> int | None:
        try:
            return int(self.client.llen(self.key))
        except Exception:
            return None

    def work_forever(self) -> None:
        wid = worker_name("r")
        while not self._stop.is_set():
            try:
                item = self.client.brpop([self.key], timeout=1)
            except Exception:
                log.warning("redis unavailable; retrying", exc_info=True)
                self._stop.wait(1.0)
                continue
            if item is None:
                continue
            job_id = item[1].decode() if isinstance(item[1], bytes) else str(item[1])
            try:
                run_job(self.ctx, job_id, wid)
            except Exception:
                log.exception("worker error")

    def stop(self, timeout: float = 10.0, abort: threading.Event | None = None) -> list[str]:
        """Take no new job; finish the ones in progress (up to ``timeout``, or until ``abort``
        is set), then hand back those still running, at the front of the Redis list so that
        another worker takes them next; returns the ids handed back."""
        self._stop.set()
        self._reaper.stop()
        _join(self._workers, timeout, abort)
        ids = _hand_back(self.ctx)
        if ids:
            try:
                self.client.rpush(self.key, *ids)  # workers BRPOP: the right end is the front
            except Exception:  # they are queued in the database: a reaper resubmits them
                log.warning("could not push %d requeued try-ons back onto Redis", len(ids))
        return ids
