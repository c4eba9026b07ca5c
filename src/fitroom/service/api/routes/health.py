"""Health and Prometheus metrics (no sign-in)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from fitroom.service.api.deps import ServicesDep
from fitroom.service.errors import ApiError
from fitroom.service.schemas import ErrorPublic, Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, responses={503: {"model": ErrorPublic}})
async def healthz(svc: ServicesDep) -> Health:
    def check() -> Health:
        with svc.db.session() as s:
            s.execute(text("SELECT 1"))
        if svc.redis is not None:
            svc.redis.ping()
        return Health(status="ok", database=svc.db.dialect, queue=svc.queue.name if svc.queue else "none",
                      queue_depth=svc.queue_depth())

    try:
        return await run_in_threadpool(check)
    except Exception:
        raise ApiError(503, "unhealthy", "The database or the queue is not reachable.") from None


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(svc: ServicesDep) -> Response:
    body = await run_in_threadpool(svc.metrics.render)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
