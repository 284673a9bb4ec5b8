"""GET /metrics: Prometheus text behind a bearer token, request counts by function/route/status, business
counters and the notification backlog."""

from __future__ import annotations

import datetime as dt

import pytest

from shared import metrics
from shared.config import reset_settings
from shared.models import Notification, NotificationStatus
from tests.factories import headers_for
from tests.ops.promtext import family_names, sample

REQUESTS = "agenda_http_requests_total"
LATENCY_COUNT = "agenda_http_request_duration_seconds_count"


def scrape(gateway, headers, path: str = "/metrics") -> str:
    response = gateway.get(path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.get_data(as_text=True)


def test_requests_are_counted_by_function_url_rule_and_status(gateway, metrics_headers, professional):
    headers = headers_for(professional)
    before = scrape(gateway, metrics_headers)

    gateway.get("/services", headers=headers)
    gateway.get("/function/catalog/services", headers=headers)
    gateway.put("/services/987654", json={"name": "x"}, headers=headers)
    gateway.get("/services/not-a-number", headers=headers)
    after = scrape(gateway, metrics_headers)

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta(REQUESTS, function="catalog", route="/services", method="GET", status="200") == 2
    assert delta(REQUESTS, function="catalog", route="/services/<int:service_id>", method="PUT",
                 status="404") == 1
    assert delta(REQUESTS, function="catalog", route="unmatched", method="GET", status="404") == 1
    assert delta(LATENCY_COUNT, function="catalog", route="/services", method="GET") == 2
    # Labels are URL rules, never raw paths: ids and junk cannot multiply the series.
    # (The id is looked for as a label value would hold it: the digits alone may occur in a float.)
    assert "987654\"" not in after and "/987654" not in after and "not-a-number" not in after


def test_unknown_methods_share_one_label_value(db_url, metrics_headers):
    from functions.catalog.handler import app

    client = app.test_client()
    client.open("/services", method="BREW")
    client.open("/services", method="PROPFIND")
    text = client.get("/metrics", headers=metrics_headers).get_data(as_text=True)

    assert sample(text, REQUESTS, function="catalog", route="unmatched", method="other", status="405") >= 2
    assert "BREW" not in text and "PROPFIND" not in text


def test_the_scrape_itself_is_counted_under_the_health_function(gateway, metrics_headers, db_url):
    first = scrape(gateway, metrics_headers)
    second = scrape(gateway, metrics_headers)

    labels = {"function": "health", "route": "/metrics", "method": "GET", "status": "200"}
    assert sample(second, REQUESTS, **labels) == sample(first, REQUESTS, **labels) + 1


def test_business_counters_are_exposed_for_other_code_to_increment(gateway, metrics_headers, db_url):
    before = scrape(gateway, metrics_headers)

    metrics.bookings_created.inc()
    metrics.notifications_sent.inc(2)
    metrics.notifications_failed.inc()
    after = scrape(gateway, metrics_headers)

    for name, step in (("agenda_bookings_created_total", 1), ("agenda_notifications_sent_total", 2),
                       ("agenda_notifications_failed_total", 1)):
        assert sample(after, name) - sample(before, name) == step


def add_notification(session, status: NotificationStatus) -> None:
    sent_at = dt.datetime.now(dt.UTC) if status == NotificationStatus.sent else None
    session.add(Notification(type="booking_confirmation", recipient="ana@example.com", status=status,
                             sent_at=sent_at))


def test_the_root_scrape_reports_the_notification_backlog(gateway, metrics_headers, uow):
    from shared.jobs.instance import huey

    for status in ("pending", "pending", "sending", "sent", "failed"):
        add_notification(uow.session, NotificationStatus(status))
    uow.commit()
    for message in (b"first", b"second", b"third"):
        huey.storage.enqueue(message)

    text = scrape(gateway, metrics_headers)

    assert sample(text, "agenda_notifications_unsent", status="pending") == 2
    assert sample(text, "agenda_notifications_unsent", status="sending") == 1
    assert sample(text, "agenda_queue_depth") == 3


def test_each_function_serves_its_own_metrics_without_the_backlog(gateway, metrics_headers, db_url):
    text = scrape(gateway, metrics_headers, "/function/catalog/metrics")

    assert {"agenda_http_requests", "agenda_bookings_created"} <= family_names(text)
    assert "agenda_notifications_unsent" not in family_names(text)
    assert "agenda_queue_depth" not in family_names(text)


def test_the_backlog_is_left_out_not_failed_when_the_database_is_down(monkeypatch, metrics_headers):
    from functions.health.handler import app
    from shared.db import reset_engine

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/agenda_test")
    reset_settings()
    reset_engine()
    try:
        response = app.test_client().get("/metrics", headers=metrics_headers)
    finally:
        monkeypatch.undo()
        reset_settings()
        reset_engine()

    assert response.status_code == 200
    assert "agenda_notifications_unsent" not in family_names(response.get_data(as_text=True))
    assert "agenda_http_requests" in family_names(response.get_data(as_text=True))


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer wrong-token"},
    {"Authorization": "Basic bWV0cmljczptZXRyaWNzLXRlc3QtdG9rZW4="},
    {"Authorization": "Bearer metrics-test-token-and-more"},
])
@pytest.mark.parametrize("path", ["/metrics", "/function/health/metrics", "/function/admin/metrics"])
def test_metrics_without_the_token_are_401(gateway, headers, path):
    response = gateway.get(path, headers=headers)

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "agenda_" not in response.get_data(as_text=True)


def test_metrics_are_404_when_no_token_is_configured(gateway, monkeypatch, metrics_headers):
    monkeypatch.setenv("METRICS_TOKEN", "")
    reset_settings()

    response = gateway.get("/metrics", headers=metrics_headers)

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_the_consumer_exporter_serves_the_counters_and_backlog_on_loopback(uow):
    import httpx

    add_notification(uow.session, NotificationStatus.pending)
    uow.commit()
    metrics.notifications_failed.inc()

    assert metrics.start_exporter_from_env({}) is None
    server, thread = metrics.start_exporter_from_env({"METRICS_EXPORTER_PORT": "0"})
    try:
        host, port = server.server_address[:2]
        text = httpx.get(f"http://{host}:{port}/metrics", timeout=10).text
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

    assert host == "127.0.0.1"
    assert sample(text, "agenda_notifications_failed_total") >= 1
    assert sample(text, "agenda_notifications_unsent", status="pending") == 1
    assert "agenda_queue_depth" in family_names(text)
