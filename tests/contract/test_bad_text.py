"""Text that is not text: lone surrogates in any JSON body, control characters in single-line fields."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.contract.authorization_matrix import MATRIX, Row
from tests.contract.test_authorization import headers_of, resolve
from tests.contract.world import snapshot

WITH_BODY = [row for row in MATRIX if row.body is not None]
LONE_SURROGATE = "\ud800"  # valid JSON ("\ud800" escaped), not a Unicode character


def caller(row: Row) -> str:
    """Whoever may use the route: the owner A, an admin on admin routes, anyone on public ones."""
    if row.public:
        return "anonymous"
    return "admin" if row.expect[1] == 403 else "a"  # a professional is forbidden: an admin route


def send(gateway, world, row: Row, raw_body: str):
    return gateway.open(resolve(row.path, world.a), method=row.method, data=raw_body.encode(),
                        content_type="application/json", headers=headers_of(caller(row), world))


def with_surrogates(body: dict[str, Any]) -> dict[str, Any]:
    """Every string value, and one extra key, carry a lone surrogate (for bodies with no string at all)."""
    spoiled = {key: f"x{LONE_SURROGATE}" if isinstance(value, str) else value for key, value in body.items()}
    return {**spoiled, LONE_SURROGATE: LONE_SURROGATE}


def test_every_route_that_takes_a_body_is_covered():
    posts = {(row.method, row.path) for row in MATRIX if row.method in ("POST", "PUT") and row.body is None}
    # These take no body: actions named by their path.
    assert posts == {("POST", "/me/email-verification"),
                     ("POST", "/appointment-requests/{request_id}/accept"),
                     ("POST", "/appointment-requests/{request_id}/reject"),
                     ("POST", "/appointments/confirm/{token}"), ("POST", "/appointments/cancel/{token}"),
                     ("POST", "/calendar/feed/rotate"), ("POST", "/calendar/sources/{source_id}/sync"),
                     ("POST", "/function/reminders/"), ("POST", "/function/reminders/reminders")}


@pytest.mark.parametrize("row", WITH_BODY, ids=lambda row: f"{row.method} {row.path}")
def test_a_lone_surrogate_is_400_on_every_route_that_takes_a_body(row, world, gateway, session):
    # The review got 500 on login, refresh, logout, register, booking, clients, services and profile.
    before = snapshot(session, world.a.professional.id)
    session.rollback()
    raw = json.dumps(with_surrogates(resolve(row.body, world.a)))
    assert "\\ud800" in raw

    response = send(gateway, world, row, raw)

    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert "Unicode" in response.get_json()["detail"]
    assert snapshot(session, world.a.professional.id) == before


SINGLE_LINE = [
    ("POST", "/auth/register", "name"), ("POST", "/auth/register", "business_name"),
    ("PUT", "/me/profile", "business_name"), ("PUT", "/me/profile", "name"), ("PUT", "/me/profile", "phone"),
    ("POST", "/services", "name"), ("POST", "/clients", "name"), ("POST", "/clients", "phone"),
    ("PUT", "/clients/{client_id}", "name"),
    ("POST", "/public/professionals/{slug}/appointments", "name"),
    ("POST", "/public/professionals/{slug}/appointments", "phone"),
]
MULTI_LINE = [
    ("PUT", "/me/profile", "bio"), ("POST", "/services", "description"), ("POST", "/clients", "notes"),
    ("PUT", "/appointments/{appointment_id}", "notes"),
    ("POST", "/public/professionals/{slug}/appointments", "comment"),
]


def row_of(method: str, path: str) -> Row:
    return next(row for row in MATRIX if (row.method, row.path) == (method, path))


@pytest.mark.parametrize("text", ["Ana\r\nBcc: victim@example.com", "Ana\x1b[31m"])
@pytest.mark.parametrize(("method", "path", "field"), SINGLE_LINE, ids=lambda v: str(v))
def test_control_characters_in_a_single_line_field_are_422(method, path, field, text, world, gateway,
                                                           session):
    row = row_of(method, path)
    before = snapshot(session, world.a.professional.id)
    session.rollback()
    body = {**resolve(row.body, world.a), field: text}

    response = send(gateway, world, row, json.dumps(body))

    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["errors"][field] == [
        "Control characters (such as line breaks or tabs) are not allowed here."]
    assert snapshot(session, world.a.professional.id) == before


@pytest.mark.parametrize(("method", "path", "field"), MULTI_LINE, ids=lambda v: str(v))
def test_multi_line_fields_take_line_breaks_and_refuse_other_control_characters(method, path, field, world,
                                                                                gateway):
    row = row_of(method, path)
    refused = send(gateway, world, row, json.dumps({**resolve(row.body, world.a), field: "one\x07two"}))
    taken = send(gateway, world, row, json.dumps({**resolve(row.body, world.a), field: "one\r\ntwo\nthree"}))

    assert refused.status_code == 422
    assert refused.get_json()["errors"][field] == [
        "Control characters other than line breaks are not allowed here."]
    assert taken.status_code in (200, 201), taken.get_data(as_text=True)
