"""Prometheus metrics: HTTP requests and latencies, queue depth, try-on job outcomes.

One registry per application (tests build many). Queue depth and job counts by status are
read from the database at scrape time, so they cover every worker process.
"""

from __future__ import annotations

import time
from typing import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

__all__ = ["Metrics", "MetricsMiddleware"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)


class _DbCollector:
    def __init__(self, counts: Callable[[], dict[str, int]]):
        self.counts = counts

    def collect(self):
        try:
            counts = self.counts()
        except Exception:  # the database being down must not break /metrics
            counts = {}
        depth = GaugeMetricFamily("fitroom_queue_depth", "Try-ons waiting for a worker.")
        depth.add_metric([], counts.get("queued", 0))
        yield depth
        by = GaugeMetricFamily("fitroom_tryons", "Try-on jobs in the database by status.", labels=["status"])
        for status in ("queued", "running", "succeeded", "failed"):
            by.add_metric([status], counts.get(status, 0))
        yield by


class Metrics:
    def __init__(self, job_counts: Callable[[], dict[str, int]]):
        self.registry = CollectorRegistry()
        self.requests = Counter("fitroom_http_requests_total", "HTTP requests.", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("fitroom_http_request_duration_seconds", "HTTP request latency.",
                                 ["method", "route"], buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.jobs = Counter("fitroom_jobs_total", "Try-on jobs finished by this process's workers.", ["outcome"],
                            registry=self.registry)
        self.job_seconds = Histogram("fitroom_tryon_job_seconds", "Time a worker spent on one try-on.",
                                     buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.registry.register(_DbCollector(job_counts))

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _template(scope) -> str:
    """The route template of the request (``/v1/photos/{photo_id}``): bounded label values."""
    params = {str(v): k for k, v in (scope.get("path_params") or {}).items()}
    parts = scope.get("path", "").split("/")
    return "/".join(f"{{{params[p]}}}" if p in params else p for p in parts)


class MetricsMiddleware:
    """Pure ASGI: counts and times every HTTP request by its route template."""

    def __init__(self, app, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
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
            path = _template(scope) if scope.get("route") is not None else (
                "static" if status["code"] < 400 else "unmatched")
            method = scope.get("method", "GET")
            self.metrics.requests.labels(method, path, str(status["code"])).inc()
            self.metrics.latency.labels(method, path).observe(time.perf_counter() - start)
