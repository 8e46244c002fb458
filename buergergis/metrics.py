"""Prometheus metrics of BürgerGIS (``prometheus-client``), usable from every layer.

Under gunicorn several worker processes serve requests; with ``PROMETHEUS_MULTIPROC_DIR``
set (``buergergis/gunicorn_conf.py`` does that) every process writes its values to files
there and a scrape of ``/metrics`` adds them up, whichever worker answers. Without it (tests,
the development server) the process's own registry is used.

Metric objects are created on first use, not at import time.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from prometheus_client import REGISTRY as PROCESS_REGISTRY
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Latency buckets in seconds: cached tiles (ms) up to slow exports.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class Metrics:
    """The metric families of the service."""

    requests: Counter
    latency: Histogram
    tile_cache: Counter
    pool_checked_out: Gauge
    pool_size: Gauge
    outbox: Gauge


def multiprocess_dir() -> str | None:
    """The directory of multiprocess mode, when gunicorn's configuration set one."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


_LOCK = threading.Lock()
_METRICS: list[Metrics] = []


def metrics() -> Metrics:
    """The metric objects, registered once per process (thread-safe: the first requests of
    a gthread worker arrive together)."""
    if _METRICS:
        return _METRICS[0]
    with _LOCK:
        if not _METRICS:
            _METRICS.append(_create())
    return _METRICS[0]


def _create() -> Metrics:
    return Metrics(
        requests=Counter(
            "buergergis_http_requests",
            "HTTP requests by route, method and status.",
            ["route", "method", "status"],
        ),
        latency=Histogram(
            "buergergis_http_request_duration_seconds",
            "Time to answer a request, by route.",
            ["route"],
            buckets=BUCKETS,
        ),
        tile_cache=Counter(
            "buergergis_tile_cache", "Tile cache lookups by result (hit, miss).", ["result"]
        ),
        pool_checked_out=Gauge(
            "buergergis_db_pool_checked_out",
            "Database connections in use (SQLAlchemy pool), summed over live processes.",
            multiprocess_mode="livesum",
        ),
        pool_size=Gauge(
            "buergergis_db_pool_size",
            "Connections held by the pool, summed over live processes.",
            multiprocess_mode="livesum",
        ),
        outbox=Gauge(
            "buergergis_mail_outbox_waiting",
            "Mails waiting in the outbox (read from the database at scrape time).",
            multiprocess_mode="mostrecent",
        ),
    )


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    m = metrics()
    m.requests.labels(route, method, str(status)).inc()
    m.latency.labels(route).observe(seconds)


def tile_cache(result: str) -> None:
    """Count a tile cache lookup (``hit`` or ``miss``)."""
    metrics().tile_cache.labels(result).inc()


def pool_use(checked_out: int, size: int) -> None:
    """The database pool of this process, as last seen."""
    m = metrics()
    m.pool_checked_out.set(checked_out)
    m.pool_size.set(size)


def outbox_waiting(count: int) -> None:
    """The mails waiting in the outbox, as read at this scrape."""
    metrics().outbox.set(count)


def exposition() -> bytes:
    """The text format of all metrics (added up over processes in multiprocess mode)."""
    metrics()
    directory = multiprocess_dir()
    if directory is None:
        return generate_latest(PROCESS_REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)


def worker_exit(pid: int) -> None:
    """Forget the live gauges of a worker process that ended (gunicorn ``child_exit``)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)
