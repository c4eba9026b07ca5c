"""``fitroom worker``: a process that runs try-on jobs from the Redis queue.

It loads the try-on models once, takes job ids from Redis, claims each job in the database
(lease + heartbeat), and also runs the reaper, so a job whose worker died is requeued by
the survivors. SIGTERM or Ctrl+C: take no new job, give the running ones
``shutdown_grace_seconds`` to finish (a second signal: none), hand the others back to the
queue, say ``fitroom worker: stopping: N jobs requeued`` and exit.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from fitroom.errors import FitroomError
from fitroom.service.jobs import done_channel, forget_channel, JobContext, LeaseKeeper, RedisQueue, stopping_message
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

    hurry = threading.Event()

    def _signal(signum, _frame):
        if stop.is_set():  # a second signal: hand the running jobs back now
            hurry.set()
            return
        stop.set()

    signal.signal(signal.SIGTERM, _signal)
    signal.signal(signal.SIGINT, _signal)
    queue.start(reaper=True)
    print(f"fitroom worker ready ({threads} thread(s), queue {settings.redis_url})", flush=True)
    while not stop.wait(0.5):
        pass
    running = leases.held()
    if running:
        print(f"fitroom worker: stopping: waiting up to {settings.shutdown_grace_seconds:g} s for {running} "
              f"running job{'' if running == 1 else 's'} (signal again to hand them back now)", flush=True)
    requeued = queue.stop(timeout=settings.shutdown_grace_seconds, abort=hurry)
    leases.stop()
    print(f"fitroom worker: {stopping_message(len(requeued))}", flush=True)
    svc.db.dispose()
    sys.stdout.flush()
