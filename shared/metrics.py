"""Prometheus metrics: what every process counts, and the text a scrape returns.

Counters live in this module so any code can count without importing Flask:

    from shared import metrics
    metrics.bookings_created.inc()

Several gunicorn workers (or the consumer's threads) share one set of numbers when
PROMETHEUS_MULTIPROC_DIR names a writable directory: each process then writes its values to files
there and a scrape adds them up (prometheus_client's multiprocess mode). The variable must be set
before this module is first imported, and the directory emptied when the process tree starts
(shared.gunicorn_conf does both jobs for gunicorn).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
EXPORTER_PORT_ENV = "METRICS_EXPORTER_PORT"
EXPORTER_ADDRESS_ENV = "METRICS_EXPORTER_ADDRESS"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The route label of a request no URL rule matched (a 404): never the raw path, which is unbounded.
UNMATCHED_ROUTE = "unmatched"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Requests are cut off at 15 s by the watchdog; the buckets span a cached read to that limit.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)

log = logging.getLogger(__name__)

# The *_created series are not written in multiprocess mode; leaving them out everywhere keeps one output.
disable_created_metrics()
if os.environ.get(MULTIPROC_ENV):
    # Each metric opens its file there as it is defined, below; a process started before gunicorn made
    # the directory (the consumer beside `make run`) must not fail on import.
    os.makedirs(os.environ[MULTIPROC_ENV], exist_ok=True)

# Every metric is registered here, never in prometheus_client's default registry: in multiprocess mode
# the scrape must read the files only, or this process's own values would be counted twice.
REGISTRY = CollectorRegistry(auto_describe=True)

http_requests = Counter(
    "agenda_http_requests", "HTTP requests answered, by function, route (URL rule), method and status.",
    ("function", "route", "method", "status"), registry=REGISTRY)
http_request_duration = Histogram(
    "agenda_http_request_duration_seconds", "Time to answer an HTTP request, by function, route and method.",
    ("function", "route", "method"), buckets=LATENCY_BUCKETS, registry=REGISTRY)
bookings_created = Counter(
    "agenda_bookings_created", "Appointments created (by professionals, public bookings, accepted requests).",
    registry=REGISTRY)
notifications_sent = Counter(
    "agenda_notifications_sent", "Notifications delivered to the email provider.", registry=REGISTRY)
notifications_failed = Counter(
    "agenda_notifications_failed", "Notification delivery attempts that failed.", registry=REGISTRY)
rate_limit_fallbacks = Counter(
    "agenda_rate_limit_fallbacks",
    "Rate-limit and lockout checks counted in process memory because the shared storage was unreachable.",
    registry=REGISTRY)


def multiprocess_dir() -> str | None:
    """The directory multiprocess mode writes to, or None in single-process mode."""
    return os.environ.get(MULTIPROC_ENV) or None


def observe_request(function: str, route: str | None, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    route = route or UNMATCHED_ROUTE
    method = method if method in KNOWN_METHODS else "other"  # a client picks the method: bound it
    http_requests.labels(function, route, method, str(status)).inc()
    http_request_duration.labels(function, route, method).observe(seconds)


class QueueDepthCollector(Collector):
    """Notification backlog, measured when scraped: unsent outbox rows, and Huey's queue when it has one."""

    def collect(self) -> Iterator[Metric]:
        outbox = outbox_depth()
        if outbox is not None:
            family = GaugeMetricFamily("agenda_notifications_unsent",
                                       "Outbox rows not yet sent, by status (pending, sending).",
                                       labels=("status",))
            for status, count in sorted(outbox.items()):
                family.add_metric((status,), count)
            yield family
        queued = huey_queue_length()
        if queued is not None:
            yield GaugeMetricFamily("agenda_queue_depth", "Messages waiting in the job queue (Huey).",
                                    value=queued)


def outbox_depth() -> dict[str, int] | None:
    """Rows of the notifications table waiting to be sent, by status; None if the database is down."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from shared.db import unit_of_work
    from shared.models import Notification, NotificationStatus

    unsent = (NotificationStatus.pending, NotificationStatus.sending)
    query = (select(Notification.status, func.count()).where(Notification.status.in_(unsent))
             .group_by(Notification.status))
    try:
        with unit_of_work() as uow:
            rows = uow.session.execute(query).all()
    except SQLAlchemyError as error:
        # A scrape still answers with the counters; the missing gauge shows the database is down.
        log.warning("queue depth: database unavailable (%s)", type(error).__name__)
        return None
    depth = {status.value: 0 for status in unsent}
    depth.update({status.value: count for status, count in rows})
    return depth


def huey_queue_length() -> int | None:
    """Messages waiting in Huey's Redis queue; None unless Huey runs on Redis, or if Redis does not answer."""
    from shared.config import get_settings

    if get_settings().huey_backend != "redis":
        return None
    import redis

    from shared.jobs.instance import huey

    try:
        return int(huey.storage.queue_size())
    except (redis.RedisError, OSError) as error:
        log.warning("queue depth: Redis unavailable (%s)", type(error).__name__)
        return None


def scrape_registry(extra: Iterable[Collector] = ()) -> CollectorRegistry:
    """A registry for one scrape: this process's metrics, or every process's in multiprocess mode."""
    path = multiprocess_dir()
    if path is None:
        registry = CollectorRegistry(auto_describe=True)
        registry.register(_Forward(REGISTRY))
    else:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=path)
    for collector in extra:
        registry.register(collector)
    return registry


def render(extra: Iterable[Collector] = ()) -> bytes:
    """The Prometheus text exposition of every metric, plus the given scrape-time collectors."""
    return generate_latest(scrape_registry(extra))


def start_exporter(port: int, address: str = "127.0.0.1", *, queue_depth: bool = True):
    """Serve /metrics on address:port from a background thread (the Huey consumer: it is no function).

    Loopback by default, and without a token: only the VPS's own Prometheus can reach it. Returns the
    server (with its thread) so a caller can shut it down.
    """
    from prometheus_client import start_http_server

    registry = scrape_registry([QueueDepthCollector()] if queue_depth else [])
    return start_http_server(port, addr=address, registry=registry)


def start_exporter_from_env(environ: dict[str, str] | None = None):
    """start_exporter() on METRICS_EXPORTER_PORT (and METRICS_EXPORTER_ADDRESS) when that is set; else None.

    The consumer's systemd unit sets it; shared.jobs.main calls this once at import.
    """
    env = os.environ if environ is None else environ
    port = env.get(EXPORTER_PORT_ENV)
    if not port:
        return None
    return start_exporter(int(port), env.get(EXPORTER_ADDRESS_ENV) or "127.0.0.1")


class _Forward(Collector):
    """Exposes another registry's metrics in a per-scrape registry (single-process mode)."""

    def __init__(self, source: CollectorRegistry):
        self._source = source

    def collect(self) -> Iterator[Metric]:
        return self._source.collect()
