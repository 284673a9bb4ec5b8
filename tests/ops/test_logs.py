"""Request logs through the whole gateway: one JSON line per request with what an operator needs to trace
it, and nothing a log reader must not see."""

from __future__ import annotations

import json

from tests.factories import DEFAULT_PASSWORD, headers_for


def log_lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_an_authenticated_request_logs_its_id_function_route_status_duration_and_professional(
        gateway, professional, capsys):
    headers = {**headers_for(professional), "X-Request-ID": "trace-me-1"}
    capsys.readouterr()

    response = gateway.get("/services?limit=5", headers=headers)

    assert response.status_code == 200
    (line,) = [entry for entry in log_lines(capsys.readouterr().err) if entry.get("message") == "request"]
    assert line == {**line, "request_id": "trace-me-1", "function": "catalog", "method": "GET",
                    "route": "/services", "status": 200, "professional_id": professional.id,
                    "user_id": professional.user_id, "level": "info"}
    assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
    assert response.headers["X-Request-ID"] == "trace-me-1"


def test_logs_hold_no_password_token_or_personal_data(gateway, professional, capsys):
    capsys.readouterr()

    login = gateway.post("/auth/login", json={"email": "pro@example.com", "password": DEFAULT_PASSWORD})
    tokens = login.get_json()
    gateway.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    gateway.post("/clients", json={"name": "Ana Secret", "email": "ana.secret@example.com",
                                   "notes": "private-clinical-note"},
                 headers={"Authorization": f"Bearer {tokens['access_token']}"})
    err = capsys.readouterr().err

    assert login.status_code == 200
    assert len([entry for entry in log_lines(err) if entry.get("message") == "request"]) == 3
    for secret in (DEFAULT_PASSWORD, tokens["access_token"], tokens["refresh_token"], "pro@example.com",
                   "Ana Secret", "ana.secret@example.com", "private-clinical-note", "Authorization"):
        assert secret not in err
