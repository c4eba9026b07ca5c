"""The FastAPI application: ``create_app(settings)``.

Start-up (the lifespan) migrates the database, loads the try-on models once, seeds the
demo catalog and starts the job queue; everything lives on one
:class:`~fitroom.service.services.Services` object that routes receive through the
dependencies in ``fitroom.service.api.deps``.

Shutdown (SIGTERM, Ctrl+C: uvicorn stops accepting requests and ends the lifespan) gives the
running try-ons ``shutdown_grace_seconds`` to finish, hands the others back to the queue and
says so: ``fitroom: stopping: 1 job requeued``.

Under a server that configured its own loggers (uvicorn: ``fitroom serve --log-level``),
fitroom's loggers, the access log (:mod:`fitroom.service.accesslog`) among them, write
through the server's handler at the server's level, unless logging was configured already.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from fitroom.service.accesslog import AccessLogMiddleware
from fitroom.service.api.routes import api_router, health_router
from fitroom.service.errors import error_body, install_error_handlers
from fitroom.service.headers import SecurityHeadersMiddleware
from fitroom.service.jobs import stopping_message
from fitroom.service.metrics import Metrics, MetricsMiddleware
from fitroom.service.services import build_services, running_jobs, start_queue, stop_services
from fitroom.service.settings import Settings, load_settings
from fitroom.service.text import has_nul_escape

__all__ = ["WEB_DIR", "create_app"]

WEB_DIR = Path(__file__).resolve().parent / "web"

log = logging.getLogger("fitroom.service")


def create_app(settings: Settings | None = None, on_ready: Callable[[], None] | None = None) -> FastAPI:
    """The application; ``on_ready`` is called once start-up has finished."""
    settings = settings or load_settings()

    def say(text: str) -> None:
        # run by a CLI (it passed on_ready): tell its user; otherwise only the log hears it
        if on_ready is not None:
            print(f"fitroom: {text}", flush=True)
        else:
            log.info("%s", text)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        restore_logging = _follow_server_logging()
        try:
            svc = await run_in_threadpool(build_services, settings)
            app.state.services = svc
            app.state.metrics_holder.metrics = svc.metrics
            start_queue(svc)
            if on_ready is not None:
                on_ready()
            try:
                yield
            finally:
                running = running_jobs(svc)
                if running:
                    say(f"stopping: waiting up to {settings.shutdown_grace_seconds:g} s for "
                        f"{running} running try-on{'' if running == 1 else 's'}")
                requeued = await run_in_threadpool(stop_services, svc)
                say(stopping_message(len(requeued)))
        finally:
            restore_logging()

    app = FastAPI(
        title="fitroom",
        version="1",
        summary="Virtual fitting room: upload a photo, pick a garment, see yourself wearing it.",
        description="Every error is JSON: `{\"error\": {\"code\": \"...\", \"message\": \"...\"}}`. "
                    "Authenticate with `Authorization: Bearer <token>` (from /v1/auth/signin) or `X-API-Key`.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(api_router, prefix="/v1")

    class _Holder:
        metrics: Metrics | None = None

    holder = _Holder()
    app.state.metrics_holder = holder

    app.add_middleware(_OuterMiddleware, holder=holder, settings=settings)
    app.add_middleware(SecurityHeadersMiddleware)  # on every response, the outer middleware's own errors too
    app.add_middleware(AccessLogMiddleware)  # added last: outermost, it logs every response
    if WEB_DIR.is_dir():
        app.mount("/", _WebFiles(directory=WEB_DIR, html=True), name="web")
    return app


class _WebFiles(StaticFiles):
    """The web app's files with ``Cache-Control: no-cache``: browsers keep them but check the
    ETag on every load, so an upgraded server never runs with an old ``app.js``."""

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


class BodyTooLarge(HTTPException):
    """A request body past its limit, found while it streams in (413)."""

    def __init__(self, limit: int):
        super().__init__(413, f"The request is larger than {_megabytes(limit)}.")


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


class _OuterMiddleware:
    """Limits every request body before anything parses it, and counts and times every
    request (once the metrics exist).

    The limit is ``max_upload_bytes`` plus 1 MB of form fields for a multipart upload and
    ``max_body_bytes`` for any other body. A declared ``Content-Length`` over it is refused at
    once; a body without one (``Transfer-Encoding: chunked``) is counted as it streams and
    refused (413, :class:`BodyTooLarge`) as soon as it passes the limit: FastAPI reads a
    route's body before it resolves the route's dependencies, so this happens before
    authentication, and no more than the limit is ever read or buffered."""

    def __init__(self, app, holder, settings: Settings):
        self.app, self.holder = app, holder
        self.max_upload = settings.max_upload_bytes + 1024 * 1024
        self.max_body = settings.max_body_bytes

    def limit_for(self, headers) -> int:
        ctype = next((v for k, v in headers if k == b"content-type"), b"").lower()
        return self.max_upload if ctype.startswith(b"multipart/form-data") else self.max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = scope.get("headers") or []
        limit = self.limit_for(headers)
        for k, v in headers:
            if k == b"content-length":
                if not v.isdigit() or int(v) > limit:
                    status, code = (413, "too_large") if v.isdigit() else (400, "bad_request")
                    msg = BodyTooLarge(limit).detail if v.isdigit() else "The Content-Length header is not a number."
                    resp = JSONResponse(error_body(code, msg), status_code=status, headers={"Connection": "close"})
                    return await resp(scope, receive, send)
                break
        if b"%00" in scope.get("raw_path", b"") or b"%00" in scope.get("query_string", b"") \
                or "\x00" in scope.get("path", ""):
            resp = JSONResponse(error_body("validation_error", "The address may not contain a NUL character (%00)."),
                                status_code=422)
            return await resp(scope, receive, send)
        seen, tail = 0, b""
        text_body = limit == self.max_body  # not multipart: JSON or other text, where a NUL never belongs

        async def limited_receive():
            nonlocal seen, tail
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                seen += len(body)
                if seen > limit:
                    raise BodyTooLarge(limit)
                if text_body and body:
                    if has_nul_escape(tail + body):
                        raise HTTPException(422, "Text may not contain a NUL character (\\u0000).")
                    tail = (tail + body)[-16:]
            return message

        if self.holder.metrics is not None:
            return await MetricsMiddleware(self.app, self.holder.metrics)(scope, limited_receive, send)
        return await self.app(scope, limited_receive, send)


def _follow_server_logging() -> Callable[[], None]:
    """Let the ``fitroom`` loggers write through the server's handler at its level (uvicorn
    configures only its own loggers, so ``--log-level info`` would not show the access log).
    Nothing changes when logging is configured already (the root logger or ``fitroom`` has
    handlers: an application, pytest) or no server configured any. Returns the undo."""
    ours, server = logging.getLogger("fitroom"), logging.getLogger("uvicorn")
    if ours.handlers or logging.getLogger().handlers or not server.handlers:
        return lambda: None
    level = logging.getLogger("uvicorn.error").getEffectiveLevel()
    before = ours.level
    handlers = list(server.handlers)
    for h in handlers:
        ours.addHandler(h)
    ours.setLevel(level)

    def restore() -> None:
        for h in handlers:
            ours.removeHandler(h)
        ours.setLevel(before)

    return restore
