"""Request metrics for a function's app, and its protected GET /metrics (Prometheus text format).

Every function serves /metrics: on the VPS each function is its own container with its own counters,
so Prometheus scrapes each one at /function/<name>/metrics; the root /metrics (nginx) is the health
function's, which also reports the notification queue depth.
"""

from __future__ import annotations

import hmac
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client.registry import Collector

from shared import errors, metrics
from shared.http.auth import bearer_token

METRICS_PATH = "/metrics"
_EXTENSION = "agenda_metrics"


def instrument(app: Flask, name: str) -> None:
    """Count every request of `app` by function, URL rule and status, and serve GET /metrics.

    Call before any other before_request hook, so the clock starts first and, after_request hooks
    running in reverse, the count sees the final status.
    """
    app.extensions[_EXTENSION] = {"function": name, "collectors": []}
    app.before_request(_start_clock)
    app.after_request(_count)
    app.add_url_rule(METRICS_PATH, endpoint="agenda_metrics", view_func=scrape, methods=["GET"])


def add_collector(app: Flask, collector: Collector) -> None:
    """Have this app's /metrics also report `collector` (computed at scrape time)."""
    app.extensions[_EXTENSION]["collectors"].append(collector)


def _start_clock() -> None:
    g.metrics_started = time.perf_counter()


def _count(response: Response) -> Response:
    started = g.get("metrics_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    rule = request.url_rule.rule if request.url_rule is not None else None
    metrics.observe_request(current_app.extensions[_EXTENSION]["function"], rule, request.method,
                            response.status_code, seconds)
    return response


def scrape() -> Response:
    """Prometheus metrics of this function: 404 unless METRICS_TOKEN is set, 401 without that bearer token."""
    from shared.config import get_settings

    expected = get_settings().metrics_token
    if not expected:
        raise errors.NotFound("Metrics are not enabled on this deployment.")
    presented = bearer_token()
    if presented is None or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise errors.Unauthenticated("Send the metrics token as Authorization: Bearer <token>.")
    body = metrics.render(current_app.extensions[_EXTENSION]["collectors"])
    return Response(body, status=200, content_type=metrics.CONTENT_TYPE)
