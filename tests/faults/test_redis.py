"""Redis faults: with the rate-limit and queue Redis stopped, hung (SIGSTOP) or restarted, every public
endpoint still answers; limits go on counting in process memory and return to Redis once it is back."""

from __future__ import annotations

import logging
import os

import httpx
import pytest

from shared import ratelimit
from shared.config import reset_settings
from tests.appointments.conftest import future_weekday
from tests.faults.conftest import wait_until
from tests.faults.practice import ANSWERED, make_practice, public_round
from tests.ops.promtext import sample

FALLBACKS = "agenda_rate_limit_fallbacks_total"
# The watchdog cuts a request off at 15 s; a request must be answered well inside that.
REQUEST_BUDGET_SECONDS = 5
UNUSED_TOKEN = "A" * 43


def fallback_count(client) -> float:
    metrics = client.get("/metrics", headers={"Authorization": f"Bearer {os.environ['METRICS_TOKEN']}"})
    assert metrics.status_code == 200
    return sample(metrics.text, FALLBACKS)


@pytest.fixture
def in_process(redis_server, monkeypatch, db_url):
    """The whole gateway in this process, its rate limits and lockouts on the test's own Redis."""
    from shared.localdev.gateway import create_gateway

    monkeypatch.setenv("RATE_LIMIT_STORAGE_URL", redis_server.url)
    monkeypatch.setenv("REDIS_TIMEOUT_MS", "500")
    reset_settings()
    transport = httpx.WSGITransport(app=create_gateway(), remote_addr="198.51.100.7")
    with httpx.Client(transport=transport, base_url="http://gateway") as client:
        yield client


def test_with_redis_stopped_public_endpoints_answer_and_limits_count_in_memory(
        in_process, redis_server, uow, caplog, monkeypatch):
    practice = make_practice(uow.session)
    day = future_weekday()
    assert public_round(in_process, practice, day) == ANSWERED
    assert redis_server.keys("LIMITS*")  # counted in Redis while it runs
    before = fallback_count(in_process)

    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="shared.ratelimit"):
        assert public_round(in_process, practice, day) == ANSWERED
        # Still limited, per process: the round used the link limit (30 a minute) once.
        statuses = [in_process.get(f"/public/appointments/{UNUSED_TOKEN}").status_code for _ in range(31)]
    assert statuses == [404] * 29 + [429] * 2
    assert fallback_count(in_process) > before
    unreachable = [r for r in caplog.records if "storage unreachable" in r.getMessage()]
    assert len(unreachable) == 1  # logged once, not once per request

    monkeypatch.setattr(ratelimit, "RETRY_STORAGE_SECONDS", 0.0)
    redis_server.start()
    with caplog.at_level(logging.WARNING, logger="shared.ratelimit"):
        assert in_process.get(f"/public/appointments/{UNUSED_TOKEN}").status_code == 404
    assert redis_server.keys("LIMITS*")  # back to the shared counters
    assert any("answers again" in r.getMessage() for r in caplog.records)


def test_a_hung_redis_costs_each_public_request_a_fraction_of_the_request_time(
        redis_server, gateway_server, uow):
    practice = make_practice(uow.session)
    day = future_weekday()
    server = gateway_server(env={"REDIS_URL": redis_server.url, "RATE_LIMIT_STORAGE_URL": redis_server.url,
                                 "HUEY_BACKEND": "redis", "REDIS_TIMEOUT_MS": "500"})
    with server.client(timeout=REQUEST_BUDGET_SECONDS) as client:
        assert public_round(client, practice, day) == ANSWERED

        redis_server.hang()
        # Every request, the booking's enqueue on the hung queue included, is answered within the budget
        # (httpx raises ReadTimeout otherwise); rate limits and lockouts fall back to memory.
        assert public_round(client, practice, day) == ANSWERED
        assert public_round(client, practice, day) == ANSWERED
        assert fallback_count(client) > 0
        health = client.get("/health")  # says so, within the budget too
        assert (health.status_code, health.json()["redis"]) == (503, "unavailable")

        redis_server.stop()
        redis_server.start()

        def counting_in_redis_again() -> bool:
            assert client.get(f"/public/appointments/{UNUSED_TOKEN}").status_code == 404
            return bool(redis_server.keys("LIMITS*"))

        wait_until(counting_in_redis_again, "rate limits back on the restarted Redis")
        assert public_round(client, practice, day) == ANSWERED
