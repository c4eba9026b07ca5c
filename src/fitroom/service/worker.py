"""``fitroom worker``: a process that runs try-on jobs from the Redis queue.

It loads the try-on models once, takes job ids from Redis, claims each job in the database
(lease + heartbeat), and also runs the reaper, so a job whose worker died is requeued by
the survivors. SIGTERM or Ctrl+C: finish the current job, then exit.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from fitroom.errors import FitroomError
from fitroom.service.jobs import done_channel, forget_channel, JobContext, LeaseKeeper, RedisQueue
from fitroom.service.services import build_services, listen, preflight
from fitroom.service.settings import load_settings

__all__ = ["run_worker"]

log = logging.getLogger("fitroom.worker")


def run_worker(threads: int = 1) -> None:
    settings = load_settings()
    if not settings.redis_url:
        raise FitroomError("fitroom worker needs FITROOM_REDIS_URL (without it, 'fitroom serve' runs jobs itself)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    preflight(settings)
    svc = build_services(settings, seed=False, concurrency=threads)
    client = svc.redis

    def done(job_id: str) -> None:
        try:
            client.publish(done_channel(settings), job_id)
        except Exception:
            pass

    def listen_forget() -> None:
        def forget(text: str) -> None:
            for key in text.split():
                svc.engine.forget(key)

        listen(client, forget_channel(settings), forget, stop.is_set)

    stop = threading.Event()
    threading.Thread(target=listen_forget, name="fitroom-forget", daemon=True).start()
    leases = LeaseKeeper(svc.db, settings.job_lease_seconds)
    ctx = JobContext(settings=settings, db=svc.db, storage=svc.storage, engine=svc.engine, on_done=done,
                     leases=leases)
    queue = RedisQueue(ctx, client, threads=threads)

    def _signal(signum, _frame):
        log.info("signal %d: finishing current jobs", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _signal)
    signal.signal(signal.SIGINT, _signal)
    queue.start(reaper=True)
    print(f"fitroom worker ready ({threads} thread(s), queue {settings.redis_url})", flush=True)
    while not stop.wait(0.5):
        pass
    queue.stop(timeout=settings.job_lease_seconds)
    leases.stop()
    svc.db.dispose()
    sys.stdout.flush()
