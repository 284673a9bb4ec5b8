"""Every error a function can meet leaves as application/problem+json with the right status and type."""

from __future__ import annotations

import io
import json

import pytest

from shared.http import PROBLEM_BASE
from tests.foundation.http_probe import BODY_LIMIT, make_app

VALID_ITEM = {"name": "Chair", "quantity": 2, "starts_at": "2027-03-28T09:00:00+02:00"}


@pytest.fixture
def client():
    return make_app().test_client()


def assert_problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = json.loads(response.data)
    assert body["type"] == PROBLEM_BASE + slug
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_unknown_route_is_a_404_problem(client):
    assert_problem(client.get("/no/such/thing"), 404, "not-found")


def test_wrong_method_is_a_405_problem_with_allow_header(client):
    response = client.put("/items")
    assert_problem(response, 405, "method-not-allowed")
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET", "POST"}


@pytest.mark.parametrize("raw, detail_part", [
    (b'{"name": "Chair",', "Malformed JSON"),
    (b"", "Malformed JSON"),
    (b'{"quantity": NaN}', "Malformed JSON"),
    (b"\xff\xfe{}", "UTF-8"),
    (b"[1, 2]", "JSON object"),
    (b'"just a string"', "JSON object"),
])
def test_malformed_or_non_object_json_is_a_400_problem(client, raw, detail_part):
    response = client.post("/items", data=raw, content_type="application/json")
    body = assert_problem(response, 400, "bad-request")
    assert detail_part in body["detail"]


def test_json_nested_too_deep_to_parse_is_a_400_not_a_500():
    from types import SimpleNamespace

    from shared.http import create_app
    from tests.foundation.http_probe import bp

    app = create_app("probe-large", bp, settings=SimpleNamespace(cors_origins=(), max_body_bytes=100_000))
    raw = b"[" * 40_000 + b"]" * 40_000
    response = app.test_client().post("/items", data=raw, content_type="application/json")
    assert_problem(response, 400, "bad-request")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/jsonp"])
def test_a_body_that_is_not_declared_json_is_a_415_problem(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/items", data=json.dumps(VALID_ITEM), headers=headers)
    assert_problem(response, 415, "unsupported-media-type")


def test_json_with_a_charset_or_a_plus_json_type_is_accepted(client):
    response = client.post("/items", data=json.dumps(VALID_ITEM),
                           content_type="application/json; charset=utf-8")
    assert response.status_code == 201
    response = client.patch("/items/3", data=json.dumps({"name": "Desk"}),
                            content_type="application/merge-patch+json")
    assert response.status_code == 200
    assert response.get_json() == {"id": 3, "changed": ["name"]}


def test_a_body_over_the_limit_by_content_length_is_a_413_problem(client):
    response = client.post("/items", data=b"x" * (BODY_LIMIT + 1), content_type="application/json")
    body = assert_problem(response, 413, "payload-too-large")
    assert str(BODY_LIMIT) in body["detail"]


def test_a_body_over_the_limit_is_refused_even_by_a_view_that_never_reads_it(client):
    response = client.delete("/items/1", data=b"x" * (BODY_LIMIT + 1))
    assert_problem(response, 413, "payload-too-large")


def test_a_streamed_body_over_the_limit_is_a_413_problem_while_reading(client):
    # No Content-Length (chunked); gunicorn marks such input as terminated.
    def post(size: int):
        return client.post("/echo-size", input_stream=io.BytesIO(b"x" * size),
                           headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})

    assert_problem(post(BODY_LIMIT + 1), 413, "payload-too-large")
    assert_problem(post(BODY_LIMIT * 10), 413, "payload-too-large")
    assert post(BODY_LIMIT).get_json() == {"size": BODY_LIMIT}


def test_a_body_at_the_limit_is_read(client):
    assert client.post("/echo-size", data=b"x" * BODY_LIMIT).get_json() == {"size": BODY_LIMIT}


def test_invalid_fields_are_a_422_problem_listing_each_field(client):
    payload = {"name": "", "quantity": "many", "starts_at": "2027-03-28T09:00:00", "colour": "red"}
    body = assert_problem(client.post("/items", json=payload), 422, "validation-failed")
    errors = body["errors"]
    assert set(errors) == {"name", "quantity", "starts_at", "colour"}
    assert all(isinstance(messages, list) and messages for messages in errors.values())
    assert "UTC offset" in errors["starts_at"][0]
    assert errors["colour"] == ["Unknown field."]


def test_missing_required_fields_are_named(client):
    body = assert_problem(client.post("/items", json={}), 422, "validation-failed")
    assert set(body["errors"]) == {"name", "quantity", "starts_at"}


@pytest.mark.parametrize("name, status, slug", [
    ("not_found", 404, "not-found"),
    ("conflict", 409, "conflict"),
    ("validation", 422, "validation-failed"),
    ("bad_request", 400, "bad-request"),
    ("unauthenticated", 401, "unauthenticated"),
    ("forbidden", 403, "forbidden"),
    ("gone", 410, "gone"),
    ("rate_limited", 429, "rate-limited"),
    ("unavailable", 503, "service-unavailable"),
    ("overlap", 409, "overlap"),
])
def test_each_domain_exception_maps_to_its_status(client, name, status, slug):
    from tests.foundation.http_probe import DOMAIN_ERRORS

    body = assert_problem(client.get(f"/raise/{name}"), status, slug)
    assert body["detail"] == DOMAIN_ERRORS[name].detail


def test_domain_validation_errors_keep_their_fields(client):
    body = assert_problem(client.get("/raise/validation"), 422, "validation-failed")
    assert body["errors"] == {"end_time": ["Must be after start_time."]}


def test_unauthenticated_carries_a_bearer_challenge(client):
    assert client.get("/raise/unauthenticated").headers["WWW-Authenticate"] == "Bearer"


def test_rate_limited_carries_retry_after(client):
    assert client.get("/raise/rate_limited").headers["Retry-After"] == "37"


def test_service_unavailable_carries_retry_after(client):
    assert client.get("/raise/unavailable").headers["Retry-After"].isdigit()


@pytest.mark.parametrize("violation, status, slug, detail_part", [
    ("exclusion", 409, "overlap", "overlaps another appointment"),
    ("unique", 409, "duplicate", "already exists"),
    ("foreign_key", 409, "conflict", "does not exist or is still in use"),
    ("check", 422, "validation-failed", "data rule"),
    ("out_of_range", 422, "validation-failed", "out of range"),
])
def test_database_constraint_violations_map_to_client_errors(db_url, client, violation, status, slug,
                                                             detail_part):
    body = assert_problem(client.post(f"/violate/{violation}"), status, slug)
    assert detail_part in body["detail"]
    # PostgreSQL's own message names the row's values; none of it reaches the client.
    text = json.dumps(body)
    assert "secret-ana" not in text
    assert "probe_" not in text
    assert "DETAIL" not in text


def test_an_unexpected_exception_is_a_500_problem_without_internals(client, capsys):
    response = client.get("/boom")
    body = assert_problem(response, 500, "internal-error")
    text = response.get_data(as_text=True)
    for leak in ("RuntimeError", "secret internals", "Traceback", "http_probe", ".py"):
        assert leak not in text
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    failure = next(entry for entry in logged if entry["message"] == "unhandled exception")
    assert failure["request_id"] == body["request_id"]
    assert "RuntimeError" in failure["traceback"]


def test_an_unexpected_database_error_is_logged_without_its_parameters(db_url, client, capsys):
    response = client.post("/db-bug")
    assert_problem(response, 500, "internal-error")
    err = capsys.readouterr().err
    failure = next(json.loads(line) for line in err.splitlines() if "unhandled exception" in line)
    assert "SQLSTATE 42P01" in failure["traceback"]
    assert "top-secret-parameter" not in err


def test_a_database_that_cannot_be_reached_is_a_503_problem(monkeypatch, client):
    from shared.config import reset_settings
    from shared.db import reset_engine

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/agenda_test")
    reset_settings()
    reset_engine()
    try:
        response = client.post("/violate/unique")
    finally:
        monkeypatch.undo()
        reset_settings()
        reset_engine()
    assert_problem(response, 503, "service-unavailable")
    assert response.headers["Retry-After"].isdigit()
