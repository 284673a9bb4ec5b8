"""What create_app adds to every response: request ids, security headers, CORS, and one JSON log line."""

from __future__ import annotations

import json
import re

import pytest

from tests.foundation.http_probe import ALLOWED_ORIGIN, make_app

VALID_ITEM = {"name": "Chair", "quantity": 2, "starts_at": "2027-03-28T09:00:00+02:00"}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "frame-ancestors 'none'; default-src 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Cache-Control": "no-store",
}
PREFLIGHT = {"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, content-type"}


@pytest.fixture
def client():
    return make_app().test_client()


def log_lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines() if line.strip()]


def test_a_sane_incoming_request_id_is_echoed(client):
    response = client.get("/items", headers={"X-Request-ID": "abc.DEF-123_x"})
    assert response.headers["X-Request-ID"] == "abc.DEF-123_x"


@pytest.mark.parametrize("incoming", ["", "x" * 129, "has space", "semi;colon", "ünïcode", "a\tb"])
def test_a_missing_or_odd_request_id_is_replaced_by_a_fresh_one(client, incoming):
    response = client.get("/items", headers={"X-Request-ID": incoming} if incoming else {})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_a_request_id_of_128_characters_is_kept(client):
    incoming = "r" * 128
    assert client.get("/items", headers={"X-Request-ID": incoming}).headers["X-Request-ID"] == incoming


def test_error_responses_carry_the_request_id_in_header_and_body(client):
    response = client.get("/nowhere", headers={"X-Request-ID": "trace-42"})
    assert response.headers["X-Request-ID"] == "trace-42"
    assert json.loads(response.data)["request_id"] == "trace-42"


def test_each_request_gets_its_own_id(client):
    first = client.get("/items").headers["X-Request-ID"]
    second = client.get("/items").headers["X-Request-ID"]
    assert first != second


@pytest.mark.parametrize("method, path, status", [
    ("get", "/items", 200),
    ("get", "/nowhere", 404),
    ("put", "/items", 405),
    ("get", "/boom", 500),
    ("delete", "/items/1", 204),
    ("get", "/raise/rate_limited", 429),
])
def test_security_headers_are_on_every_response(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_no_content_has_no_body_and_no_content_type(client):
    response = client.delete("/items/1")
    assert response.status_code == 204
    assert response.data == b""
    assert "Content-Type" not in response.headers


def test_an_allowed_origin_gets_cors_headers(client):
    response = client.get("/items", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_an_allowed_origin_gets_cors_headers_on_errors_too(client):
    response = client.get("/raise/not_found", headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


@pytest.mark.parametrize("origin", ["https://evil.example", "https://app.agenda.example.evil.example",
                                    "http://app.agenda.example", "null"])
def test_other_origins_get_no_cors_headers(client, origin):
    response = client.get("/items", headers={"Origin": origin})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_a_preflight_from_an_allowed_origin_is_answered_204(client):
    response = client.options("/items", headers=PREFLIGHT)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")} == {"GET", "POST"}
    allowed_headers = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed_headers >= {"authorization", "content-type", "x-request-id"}
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in response.headers["Vary"]


def test_a_preflight_names_the_methods_of_that_path(client):
    response = client.options("/items/5", headers={**PREFLIGHT, "Access-Control-Request-Method": "PATCH"})
    assert {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")} == {
        "PATCH", "DELETE"}


def test_a_preflight_from_another_origin_is_refused(client):
    response = client.options("/items", headers={**PREFLIGHT, "Origin": "https://evil.example"})
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_preflight_to_an_unknown_path_is_a_404(client):
    response = client.options("/nowhere", headers=PREFLIGHT)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_each_request_writes_one_json_log_line(client, capsys):
    capsys.readouterr()
    response = client.get("/items/", headers={"X-Request-ID": "log-1"})
    client.post("/items", json=VALID_ITEM, headers={"X-Request-ID": "log-2"})
    lines = log_lines(capsys.readouterr().err)
    assert [line["request_id"] for line in lines] == ["log-1", "log-2"]
    missing, created = lines
    assert response.status_code == 404
    assert missing["status"] == 404
    assert missing["route"] is None
    assert created == {**created, "function": "probe", "method": "POST", "route": "/items", "status": 201,
                       "message": "request", "level": "info"}
    assert isinstance(created["duration_ms"], (int, float)) and created["duration_ms"] >= 0
    assert "professional_id" not in created


def test_the_log_line_holds_no_password_token_authorization_or_notes(client, capsys):
    capsys.readouterr()
    secret_body = {**VALID_ITEM, "password": "pw-S3cr3t!", "notes": "client-private-note"}
    client.post("/items?token=query-secret-token", json=secret_body,
                headers={"Authorization": "Bearer eyJ-secret-token", "Cookie": "session=cookie-secret"})
    client.post("/items", json={**secret_body, "quantity": "bad"})
    client.post("/items", data="{\"password\": \"pw-S3cr3t!\"", content_type="application/json")
    err = capsys.readouterr().err
    assert len(log_lines(err)) == 3
    for secret in ("pw-S3cr3t!", "client-private-note", "eyJ-secret-token", "Bearer", "cookie-secret",
                   "query-secret-token", "Authorization"):
        assert secret not in err


def test_the_unexpected_error_line_is_json_with_a_traceback(client, capsys):
    capsys.readouterr()
    client.get("/boom", headers={"X-Request-ID": "boom-1"})
    lines = log_lines(capsys.readouterr().err)
    failure, access = lines
    assert failure["level"] == "error" and "Traceback" in failure["traceback"]
    assert access["request_id"] == "boom-1" and access["status"] == 500 and access["level"] == "error"


def test_json_bodies_keep_schema_order_and_write_decimals_and_datetimes_as_strings(client):
    response = client.post("/items", json={**VALID_ITEM, "price": "45.5"})
    assert response.status_code == 201
    assert response.headers["Location"] == "/items/7"
    assert response.get_data(as_text=True).index('"id"') < response.get_data(as_text=True).index('"name"')
    assert response.get_json() == {"id": 7, "name": "Chair", "starts_at": "2027-03-28T09:00:00+02:00",
                                   "price": "45.50"}
