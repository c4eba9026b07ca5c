"""The access log: one ``info`` line per HTTP request on the ``fitroom.access`` logger.

``GET /v1/tryons/{tryon_id} 200 12.3ms``: the method, the route's path *template* (never the
concrete path, whose ids and share tokens are not for logs), the status and the time to the
end of the response. Query strings, headers (``Authorization``, ``X-API-Key``, cookies) and
bodies are never read, so no token or secret can reach the log. A request no route matched
logs ``<unmatched>``; the web app's files log ``<static>``. Enable it with ``fitroom serve
--log-level info``.
"""

from __future__ import annotations

import logging
import time

__all__ = ["AccessLogMiddleware", "access_log", "route_template"]

access_log = logging.getLogger("fitroom.access")


def route_template(scope, status: int = 200) -> str:
    """The template of the route that handled the request (``/v1/photos/{photo_id}``).

    The route object may know only its path within its router (FastAPI's included routers),
    so the template is aligned with the end of the concrete path and the concrete prefix
    (``/v1``) put in front; a prefix segment that is a path parameter's value becomes its
    ``{name}`` too. No route: the web app's files (``<static>``) or ``<unmatched>``.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None) if route is not None else None
    if route is not None and route.__class__.__name__ == "Mount":
        template = None
    if not isinstance(template, str) or not template.startswith("/"):
        return "<static>" if status < 300 or status == 304 else "<unmatched>"
    tail = template.split("/")[1:]
    segments = str(scope.get("path", "")).split("/")[1:]
    if len(segments) <= len(tail):
        return template
    names = {str(v): k for k, v in (scope.get("path_params") or {}).items()}
    prefix = [f"{{{names[p]}}}" if p in names else p for p in segments[: len(segments) - len(tail)]]
    return "/" + "/".join(prefix + tail)


class AccessLogMiddleware:
    """Pure ASGI middleware (outermost, so it sees every response, 413s and 500s too)."""

    def __init__(self, app, logger: logging.Logger = access_log):
        self.app, self.log = app, logger

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.log.isEnabledFor(logging.INFO):
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = {"code": 500}

        async def _send(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            ms = (time.perf_counter() - start) * 1e3
            self.log.info("%s %s %d %.1fms", scope.get("method", "GET"), route_template(scope, status["code"]), status["code"], ms)
