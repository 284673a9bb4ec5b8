"""GET /health: 200 when the database (and Redis, if configured) answer, 503 problem when one does not."""

from __future__ import annotations

import json

import pytest

from shared.config import reset_settings
from shared.db import reset_engine

CLOSED_PORT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/agenda_test"
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def client():
    from functions.health.handler import app

    return app.test_client()


@pytest.fixture
def environment(monkeypatch):
    """Change settings for one test; the engine is rebuilt before and after."""

    def change(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        reset_settings()
        reset_engine()

    yield change
    monkeypatch.undo()
    reset_settings()
    reset_engine()


def test_health_is_ok_when_database_and_redis_answer(db_url, client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Request-ID"]


def test_redis_is_not_checked_when_not_configured(db_url, client, environment):
    environment(REDIS_URL="", HUEY_BACKEND="memory", RATE_LIMIT_STORAGE_URL="memory://")
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "not_configured"}


def test_health_is_503_when_the_database_is_unreachable(client, environment):
    environment(DATABASE_URL=CLOSED_PORT_DATABASE)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    body = json.loads(response.data)
    assert body["database"] == "unavailable"
    assert body["redis"] == "ok"
    assert body["status"] == 503
    assert body["type"].endswith("/service-unavailable")
    assert "127.0.0.1:1" not in response.get_data(as_text=True)


def test_health_is_503_when_redis_is_unreachable(db_url, client, environment):
    environment(REDIS_URL=CLOSED_PORT_REDIS)
    response = client.get("/health")
    assert response.status_code == 503
    body = json.loads(response.data)
    assert (body["database"], body["redis"]) == ("ok", "unavailable")


def test_health_refuses_other_methods(client):
    response = client.post("/health")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_ping_answers_a_professional_after_a_database_round_trip(db_url, client, professional, auth_headers):
    response = client.get("/health/ping", headers=auth_headers(professional))
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ping_needs_a_professional_token(db_url, client):
    response = client.get("/health/ping")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
