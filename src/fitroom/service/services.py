"""The services of one process: database, storage, try-on engine, queue, limits, metrics."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from fitroom.service.catalog import seed_demo_catalog
from fitroom.service.db import Database, migrate
from fitroom.service.engine import TryOnEngine, get_engine
from fitroom.service.jobs import done_channel, forget_channel, InProcessQueue, JobContext, LeaseKeeper, Notifier, RedisQueue
from fitroom.service.metrics import Metrics
from fitroom.service.models import TryOn
from fitroom.service.ratelimit import MemoryBackoff, MemoryRateLimiter, RedisBackoff, RedisRateLimiter
from fitroom.service.settings import Settings
from fitroom.service.storage import Storage

__all__ = ["Services", "build_services", "preflight", "running_jobs", "start_queue", "stop_services"]

log = logging.getLogger("fitroom.service")


@dataclass
class Services:
    settings: Settings
    db: Database
    storage: Storage
    engine: TryOnEngine
    metrics: Metrics
    notifier: Notifier
    limiter: MemoryRateLimiter | RedisRateLimiter
    #: failed sign-ins: per account and per IP, with exponential back-off
    signin_backoff: MemoryBackoff | RedisBackoff | None = None
    signin_ip_backoff: MemoryBackoff | RedisBackoff | None = None
    queue: InProcessQueue | RedisQueue | None = None
    redis: object | None = None
    signing_key: bytes = b""
    #: slots for decoding and analysing uploads (``max_concurrent_decodes``)
    decodes: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(2))
    _threads: list = field(default_factory=list)
    _closing: bool = False

    def job_counts(self) -> dict[str, int]:
        with self.db.session() as s:
            return {k: int(v) for k, v in s.execute(select(TryOn.status, func.count()).group_by(TryOn.status)).all()}

    def forget(self, ids: list[str]) -> None:
        """Drop erased photos' and garments' analyses from memory, here and in every worker."""
        for key in ids:
            self.engine.forget(key)
        if self.redis is not None and ids:
            try:
                self.redis.publish(forget_channel(self.settings), " ".join(ids))
            except Exception:
                log.warning("could not tell the workers to forget %d ids", len(ids))

    def queue_depth(self) -> int:
        with self.db.session() as s:
            return int(s.execute(select(func.count()).select_from(TryOn).where(TryOn.status == "queued")).scalar_one())


def preflight(settings: Settings) -> None:
    """Reach the database and Redis now, so that a wrong URL is one clear line at start-up."""
    from sqlalchemy import create_engine, text

    from fitroom.errors import FitroomError

    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FitroomError(f"cannot create the data folder {settings.data_dir}: {e.strerror}") from None
    if settings.database_url:
        engine = create_engine(settings.database_url)
        try:
            with engine.connect() as c:
                c.execute(text("SELECT 1"))
        except Exception as e:
            msg = str(getattr(e, "orig", e)).strip().splitlines()[0] if str(getattr(e, "orig", e)).strip() else type(e).__name__
            raise FitroomError(f"cannot connect to the database (FITROOM_DATABASE_URL): {msg}") from None
        finally:
            engine.dispose()
    if settings.redis_url:
        import redis

        try:
            redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3).ping()
        except Exception as e:
            raise FitroomError(f"cannot connect to Redis (FITROOM_REDIS_URL): {e}") from None


def bound_malloc_arenas(n: int) -> bool:
    """Cap glibc's malloc arenas at ``n`` (``mallopt(M_ARENA_MAX)``) so memory one thread
    freed is reused by the next instead of staying mapped in a per-thread arena. True when
    set; False where the C library is not glibc (nothing to do) or ``n`` is 0."""
    if n <= 0:
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    M_ARENA_MAX = -8
    return bool(libc.mallopt(M_ARENA_MAX, int(n)))


def build_services(settings: Settings, seed: bool = True, concurrency: int | None = None) -> Services:
    """Connect, migrate, load models, seed the catalog; the queue is created but not started."""
    bound_malloc_arenas(settings.malloc_arenas)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_url)
    migrate(db.engine, lock_dir=settings.data_dir)
    storage = Storage(settings.files_dir)
    engine = get_engine(settings.person_cache_size, settings.garment_cache_size, engine=settings.engine,
                        concurrency=concurrency if concurrency is not None else max(1, settings.workers),
                        weights=settings.weights, runtime=settings.runtime)
    engine.warm_up()
    redis_client = None
    if settings.redis_url:
        import redis

        redis_client = redis.Redis.from_url(settings.redis_url)
        redis_client.ping()
    svc = Services(settings=settings, db=db, storage=storage, engine=engine, metrics=None,  # type: ignore[arg-type]
                   notifier=Notifier(),
                   limiter=RedisRateLimiter(redis_client, prefix=f"{settings.redis_prefix}rl:") if redis_client is not None else MemoryRateLimiter(),
                   redis=redis_client, signing_key=settings.signing_key(),
                   decodes=threading.BoundedSemaphore(settings.max_concurrent_decodes))
    wait = dict(max_wait=settings.signin_max_wait_seconds)
    if redis_client is not None:
        svc.signin_backoff = RedisBackoff(redis_client, settings.signin_free_failures, prefix=f"{settings.redis_prefix}bo:acct:", **wait)
        svc.signin_ip_backoff = RedisBackoff(redis_client, settings.signin_ip_free_failures, prefix=f"{settings.redis_prefix}bo:ip:", **wait)
    else:
        svc.signin_backoff = MemoryBackoff(settings.signin_free_failures, **wait)
        svc.signin_ip_backoff = MemoryBackoff(settings.signin_ip_free_failures, **wait)
    svc.metrics = Metrics(svc.job_counts)
    if seed and settings.seed_demo_catalog:
        seed_demo_catalog(db, storage, engine)
    return svc


def start_queue(svc: Services) -> None:
    s = svc.settings
    m = svc.metrics

    def outcome(kind: str, seconds: float) -> None:
        m.jobs.labels(kind).inc()
        if kind in ("succeeded", "failed"):
            m.job_seconds.observe(seconds)

    ctx = JobContext(settings=s, db=svc.db, storage=svc.storage, engine=svc.engine,
                     on_done=svc.notifier.notify, on_outcome=outcome,
                     leases=LeaseKeeper(svc.db, s.job_lease_seconds))
    if svc.redis is not None:
        # jobs run in 'fitroom worker' processes; the server runs some itself only when
        # FITROOM_WORKERS is set explicitly
        threads = s.workers if "workers" in s.model_fields_set else 0
        svc.queue = RedisQueue(ctx, svc.redis, threads=threads)
        ctx.on_done = _publisher(svc)
        svc.queue.start()
        t = threading.Thread(target=_listen_done, args=(svc,), name="fitroom-done-listener", daemon=True)
        t.start()
        svc._threads.append(t)
    else:
        svc.queue = InProcessQueue(ctx, threads=s.workers)
        svc.queue.start()
    svc._threads.append(ctx.leases)
    if s.retention_days:
        from fitroom.service.retention import RetentionSweeper

        sweeper = RetentionSweeper(svc, s.retention_interval_seconds)
        sweeper.start()
        svc._threads.append(sweeper)


def _publisher(svc: Services):
    def done(job_id: str) -> None:
        svc.notifier.notify(job_id)
        try:
            svc.redis.publish(done_channel(svc.settings), job_id)
        except Exception:
            pass

    return done


def listen(client, channel: str, on_message, stopped) -> None:
    """Call ``on_message(text)`` for every message published on the Redis ``channel`` until
    ``stopped()`` is true; a lost connection is retried every second (run it in a thread)."""
    while not stopped():
        pubsub = None
        try:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(channel)
            while not stopped():
                msg = pubsub.get_message(timeout=1.0)
                if msg and isinstance(msg.get("data"), bytes):
                    on_message(msg["data"].decode())
        except Exception:
            time.sleep(1.0)
        finally:
            if pubsub is not None:
                try:
                    pubsub.close()
                except Exception:
                    pass


def _listen_done(svc: Services) -> None:
    """Wake local long-polls when a worker process finishes a job (until the app stops)."""
    listen(svc.redis, done_channel(svc.settings), svc.notifier.notify, lambda: svc._closing)


def running_jobs(svc: Services) -> int:
    """Try-ons this process is working on now."""
    leases = svc.queue.ctx.leases if svc.queue is not None else None
    return leases.held() if leases is not None else 0


def stop_services(svc: Services) -> list[str]:
    """Stop the queue (running try-ons get ``shutdown_grace_seconds`` to finish, the rest are
    handed back to the queue), then close everything; returns the ids of the jobs handed back."""
    svc._closing = True
    requeued: list[str] = []
    if svc.queue is not None:
        requeued = svc.queue.stop(timeout=svc.settings.shutdown_grace_seconds)
    for t in svc._threads:
        if hasattr(t, "stop"):  # the lease keeper, the retention sweeper
            t.stop()
    if svc.redis is not None:
        try:
            svc.redis.close()
        except Exception:
            pass
    svc.db.dispose()
    return requeued
