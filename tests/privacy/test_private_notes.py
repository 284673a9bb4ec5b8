"""Private notes: encrypted at rest, readable by their professional, and nowhere else."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os

import pytest
from sqlalchemy import text

from shared import secretbox
from shared.config import reset_settings
from tests.privacy.conftest import at, future_day

CLIENT_NOTE = "PRIVATE-client-file-qzwx ansiedad"
APPOINTMENT_NOTE = "PRIVATE-session-note-vjky pánico"
COMMENT = "CLIENT-COMMENT-knee-pain"


def _raw(db_engine, sql: str) -> list:
    with db_engine.connect() as conn:
        return conn.execute(text(sql)).scalars().all()


def _new_client(gateway, headers, **fields):
    response = gateway.post("/clients", headers=headers, json={"name": "Eva Ruiz", "email": "eva@example.com",
                                                               "phone": "+34 611 222 333", **fields})
    assert response.status_code == 201, response.json
    return response.json


def _book_by_hand(gateway, headers, service, client_id, start, **fields):
    response = gateway.post("/appointments", headers=headers, json={
        "service_id": service.id, "client_id": client_id, "start_datetime": start, **fields})
    assert response.status_code == 201, response.json
    return response.json


def _book_publicly(gateway, professional, service, start, **fields):
    response = gateway.post(f"/public/professionals/{professional.public_slug}/appointments", json={
        "service_id": service.id, "start_datetime": start, "name": "Eva Ruiz", "email": "eva@example.com",
        **fields})
    assert response.status_code in (201, 202), response.json
    return response.json


def test_the_notes_columns_hold_only_ciphertext_and_the_professional_reads_plain_text(
        gateway, practice, pro_headers, db_engine):
    professional, service = practice
    client = _new_client(gateway, pro_headers, notes=CLIENT_NOTE)
    appointment = _book_by_hand(gateway, pro_headers, service, client["id"], at(future_day(), 9),
                                notes=APPOINTMENT_NOTE)

    stored = _raw(db_engine, "SELECT notes FROM clients") + _raw(db_engine, "SELECT notes FROM appointments")

    assert len(stored) == 2
    for value in stored:
        assert value.startswith("v1:k1:") and "PRIVATE" not in value
    assert "Eva Ruiz" in _raw(db_engine, "SELECT name FROM clients")  # names stay searchable
    assert gateway.get(f"/clients/{client['id']}", headers=pro_headers).json["notes"] == CLIENT_NOTE
    shown = gateway.get(f"/appointments/{appointment['id']}", headers=pro_headers).json
    assert shown["notes"] == APPOINTMENT_NOTE and shown["client_comment"] is None
    listed = gateway.get("/clients?q=eva", headers=pro_headers).json
    assert [c["notes"] for c in listed["items"]] == [CLIENT_NOTE]


def test_the_public_comment_is_the_client_comment_and_reaches_the_professional(
        gateway, practice, pro_headers, send_outbox):
    professional, service = practice

    booked = _book_publicly(gateway, professional, service, at(future_day(), 10), comment=COMMENT)

    [item] = gateway.get("/appointments", headers=pro_headers).json["items"]
    assert item["id"] == booked["id"]
    assert (item["client_comment"], item["notes"]) == (COMMENT, None)
    messages = send_outbox()
    to_professional = [m for m in messages if "\nTo: pro@example.com" in m]
    assert to_professional and all(COMMENT in m for m in to_professional)


def _every_flow(gateway, professional, service, pro_headers, send_outbox, db_url):
    """Every flow that writes an e-mail, a log line, an audit row or a payload about an appointment whose
    client and appointments carry private notes; returns what clients were shown (API answers, the manage
    page and its calendar file, the booking page)."""
    from shared.db import unit_of_work
    from shared.notifications.reminders import sweep_reminders

    shown = []
    client = _new_client(gateway, pro_headers, notes=CLIENT_NOTE)
    day = future_day()
    # Booked by hand with a note, re-noted, rescheduled, confirmed, then cancelled by the professional.
    first = _book_by_hand(gateway, pro_headers, service, client["id"], at(day, 9), notes=APPOINTMENT_NOTE,
                          status="pending")
    for change in ({"notes": APPOINTMENT_NOTE + " (2)"}, {"start_datetime": at(day, 11)},
                   {"status": "confirmed"}):
        response = gateway.put(f"/appointments/{first['id']}", headers=pro_headers, json=change)
        assert response.status_code == 200, response.json
    # A reminder is written and sent for it.
    with unit_of_work() as uow:
        sweep_reminders(uow, dt.datetime.fromisoformat(at(day, 11)) - dt.timedelta(hours=2))
        uow.commit()
    send_outbox(dt.datetime.fromisoformat(at(day, 11)) - dt.timedelta(hours=2))
    assert gateway.delete(f"/appointments/{first['id']}", headers=pro_headers,
                          json={"reason": "Illness"}).status_code == 200
    # Booked by the client, noted by the professional, rescheduled and cancelled by the client's link.
    second = _book_publicly(gateway, professional, service, at(day + dt.timedelta(days=1), 10),
                            comment=COMMENT)
    token = second["cancellation_token"]
    assert gateway.put(f"/appointments/{second['id']}", headers=pro_headers,
                       json={"notes": APPOINTMENT_NOTE}).status_code == 200
    shown.append(gateway.get(f"/public/appointments/{token}").get_data(as_text=True))
    for page in (f"/manage/{token}", f"/manage/{token}/appointment.ics", f"/book/{professional.public_slug}"):
        response = gateway.get(page)
        assert response.status_code == 200, page
        shown.append(response.get_data(as_text=True))
    moved = gateway.post(f"/appointments/reschedule/{token}",
                         json={"start_datetime": at(day + dt.timedelta(days=2), 10)})
    assert moved.status_code == 200, moved.json
    shown.append(moved.get_data(as_text=True))
    send_outbox()  # before the cancellation, which would make the booking and move notices moot
    cancelled = gateway.post(f"/appointments/cancel/{token}")
    assert cancelled.status_code == 200, cancelled.json
    shown.append(cancelled.get_data(as_text=True))
    # A request, accepted, then noted.
    with unit_of_work() as uow:
        uow.session.execute(text("UPDATE professional_settings SET allow_public_booking = false"))
        uow.commit()
    request = _book_publicly(gateway, professional, service, at(day + dt.timedelta(days=3), 9),
                             comment=COMMENT)
    shown.append(json.dumps(request))
    requests = gateway.get("/appointment-requests", headers=pro_headers).json["items"]
    accepted = gateway.post(f"/appointment-requests/{requests[0]['id']}/accept", headers=pro_headers)
    assert accepted.status_code == 200, accepted.json
    third_id = accepted.json["appointment_id"]
    assert gateway.put(f"/appointments/{third_id}", headers=pro_headers,
                       json={"notes": APPOINTMENT_NOTE}).status_code == 200
    # The professional's own reads, whose log lines must not carry the notes either.
    for path in ("/clients", f"/clients/{client['id']}", "/appointments", f"/appointments/{third_id}"):
        assert gateway.get(path, headers=pro_headers).status_code == 200
    return shown


def test_a_private_note_is_absent_from_every_email_log_audit_row_payload_metric_and_client_view(
        gateway, practice, pro_headers, send_outbox, db_url, db_engine, capsys, caplog):
    professional, service = practice
    caplog.set_level(logging.DEBUG)

    shown = _every_flow(gateway, professional, service, pro_headers, send_outbox, db_url)
    messages = send_outbox()

    kinds = set(_raw(db_engine, "SELECT type FROM notifications WHERE status = 'sent'"))
    assert {"booking_received", "booking_confirmation", "rescheduled", "reminder",
            "cancelled_by_professional", "new_booking", "rescheduled_professional", "cancelled_by_client",
            "cancellation_confirmation", "request_received", "request_received_professional",
            "request_accepted"} <= kinds
    assert len(messages) == len(_raw(db_engine, "SELECT id FROM notifications WHERE status = 'sent'"))
    assert any(COMMENT in m for m in messages)  # the client's own words do travel to the professional
    metrics = gateway.get("/metrics", headers={"Authorization": "Bearer metrics-test-token"})
    assert metrics.status_code == 200
    listed = gateway.get("/notifications", headers=pro_headers).get_data(as_text=True)
    captured = capsys.readouterr()
    places = {
        "emails": "\n".join(messages),
        "logs": captured.out + captured.err + "\n".join(r.getMessage() for r in caplog.records),
        "audit rows": "\n".join(map(str, _raw(db_engine, "SELECT row_to_json(a)::text FROM audit_logs a"))),
        "notification rows": "\n".join(map(str, _raw(
            db_engine, "SELECT row_to_json(n)::text FROM notifications n"))),
        "notification list": listed,
        "metrics": metrics.get_data(as_text=True),
        "client views": "\n".join(shown),
    }
    assert places["logs"].strip() and places["audit rows"] and places["emails"]
    for place, content in places.items():
        # Markers of letters outside hexadecimal: a request id or a digest could contain any hex run.
        for secret in ("PRIVATE", "ansiedad", "pánico", "vjky", "qzwx"):
            assert secret not in content, f"{secret!r} found in {place}"


def _switch_keys(monkeypatch, **settings):
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    reset_settings()


def test_rotating_the_key_keeps_every_note_readable(gateway, practice, pro_headers, db_engine, monkeypatch):
    from shared.secretbox.__main__ import main

    professional, service = practice
    old_key = secretbox.keyring().keys["k1"]
    client = _new_client(gateway, pro_headers, notes=CLIENT_NOTE)
    appointment = _book_by_hand(gateway, pro_headers, service, client["id"], at(future_day(), 9),
                                notes=APPOINTMENT_NOTE)
    _switch_keys(monkeypatch, ENCRYPTION_KEY=_b64(os.urandom(32)), ENCRYPTION_KEY_ID="k2",
                 ENCRYPTION_PREVIOUS_KEYS=f"k1:{_b64(old_key)}")

    assert gateway.get(f"/clients/{client['id']}", headers=pro_headers).json["notes"] == CLIENT_NOTE
    assert main(["rotate", "--batch-size", "1"]) == 0

    stored = _raw(db_engine, "SELECT notes FROM clients") + _raw(db_engine, "SELECT notes FROM appointments")
    assert stored and all(value.startswith("v1:k2:") for value in stored)
    _switch_keys(monkeypatch, ENCRYPTION_PREVIOUS_KEYS="")  # the old key is gone for good
    assert gateway.get(f"/clients/{client['id']}", headers=pro_headers).json["notes"] == CLIENT_NOTE
    shown = gateway.get(f"/appointments/{appointment['id']}", headers=pro_headers).json
    assert shown["notes"] == APPOINTMENT_NOTE


def test_a_note_under_a_missing_key_is_a_clear_error_never_a_blank(gateway, practice, pro_headers,
                                                                     monkeypatch, capsys):
    client = _new_client(gateway, pro_headers, notes=CLIENT_NOTE)
    _switch_keys(monkeypatch, ENCRYPTION_KEY=_b64(os.urandom(32)), ENCRYPTION_KEY_ID="k9")

    response = gateway.get(f"/clients/{client['id']}", headers=pro_headers)

    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    assert response.json["type"].endswith("/encryption-key")
    assert "ENCRYPTION_KEY" in response.json["detail"]
    logged = capsys.readouterr().err
    assert "'k1'" in logged and "not configured" in logged and "PRIVATE" not in logged


def test_a_note_under_the_wrong_key_with_the_right_id_is_a_clear_error(gateway, practice, pro_headers,
                                                                        monkeypatch, capsys):
    client = _new_client(gateway, pro_headers, notes=CLIENT_NOTE)
    _switch_keys(monkeypatch, ENCRYPTION_KEY=_b64(os.urandom(32)))

    response = gateway.get(f"/clients/{client['id']}", headers=pro_headers)

    assert response.status_code == 500 and response.json["type"].endswith("/encryption-key")
    assert "not the one it was written with" in capsys.readouterr().err


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize("field", ["notes"])
def test_the_public_booking_refuses_the_professionals_notes_field(gateway, practice, field):
    professional, service = practice

    response = gateway.post(f"/public/professionals/{professional.public_slug}/appointments", json={
        "service_id": service.id, "start_datetime": at(future_day(), 10), "name": "Eva",
        "email": "eva@example.com", field: "I am not the professional"})

    assert response.status_code == 422 and field in response.json["errors"]
