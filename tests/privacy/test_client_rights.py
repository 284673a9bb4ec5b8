"""A client's rights: an export of everything held about them, and erasure that leaves no trace of the
person while their past appointments still count."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from shared.db import unit_of_work
from shared.models import Notification, NotificationStatus
from tests.factories import bearer, make_admin, make_appointment, make_client, make_professional
from tests.privacy.conftest import at, future_day, where_found

NAME, EMAIL, PHONE = "Evangelina Ruiz", "evangelina.ruiz@example.com", "+34 611 222 333"
CLIENT_NOTE, APPOINTMENT_NOTE, COMMENT = "File: grief after loss", "Session: sleep is better", "My knee hurts"
PAST = dt.datetime(2025, 3, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def history(uow, practice):
    """Eva, a client with notes, two past appointments, one by the client with a comment; and Leo, another
    client who must be left alone. Returns Eva's client id."""
    professional, service = practice
    session = uow.session
    eva = make_client(session, professional, name=NAME, email=EMAIL, phone=PHONE)
    eva.notes = CLIENT_NOTE
    done = make_appointment(session, professional, service=service, client=eva, start=PAST,
                            status="completed", notes=APPOINTMENT_NOTE)
    done.client_comment = COMMENT
    make_appointment(session, professional, service=service, client=eva, start=PAST + dt.timedelta(days=7),
                     status="cancelled_by_client")
    leo = make_client(session, professional, name="Leo Marín", email="leo@example.com")
    make_appointment(session, professional, service=service, client=leo, start=PAST + dt.timedelta(days=1),
                     status="completed", notes="Leo's own note")
    uow.commit()
    return eva.id


def _book_publicly(gateway, professional, service, start):
    response = gateway.post(f"/public/professionals/{professional.public_slug}/appointments", json={
        "service_id": service.id, "start_datetime": start, "name": NAME, "email": EMAIL, "phone": PHONE,
        "comment": COMMENT})
    assert response.status_code in (201, 202), response.json
    return response.json


def _ids(db_engine, sql: str, **params) -> set[int]:
    with db_engine.connect() as conn:
        return set(conn.execute(text(sql), params).scalars())


def _send_all(send_outbox):
    send_outbox()
    with unit_of_work() as uow:
        left = uow.session.query(Notification).filter(
            Notification.status.in_([NotificationStatus.pending, NotificationStatus.sending])).count()
    assert left == 0


def test_the_export_holds_every_row_about_the_client_with_notes_decrypted(
        gateway, practice, pro_headers, history, db_engine, send_outbox):
    professional, service = practice
    booked = _book_publicly(gateway, professional, service, at(future_day(), 10))
    assert gateway.delete(f"/appointments/{booked['id']}", headers=pro_headers).status_code == 200
    _send_all(send_outbox)

    response = gateway.get(f"/clients/{history}/export", headers=pro_headers)

    assert response.status_code == 200, response.json
    export = response.json
    assert export["professional"] == {"id": professional.id, "business_name": "Calma"}
    client = export["client"]
    assert (client["id"], client["name"], client["email"], client["phone"], client["notes"]) == (
        history, NAME, EMAIL, PHONE, CLIENT_NOTE)
    appointments = {a["id"]: a for a in export["appointments"]}
    assert set(appointments) == _ids(db_engine, "SELECT id FROM appointments WHERE client_id = :c", c=history)
    assert {(a["notes"], a["client_comment"]) for a in appointments.values()} >= {
        (APPOINTMENT_NOTE, COMMENT), (None, COMMENT)}
    assert {n["id"] for n in export["notifications"]} == _ids(
        db_engine, "SELECT id FROM notifications WHERE recipient = :e OR appointment_id = ANY(:a)",
        e=EMAIL, a=list(appointments)) != set()
    assert {n["recipient"] for n in export["notifications"]} == {EMAIL, "pro@example.com"}
    assert {a["id"] for a in export["audit_logs"]} == _ids(
        db_engine, "SELECT id FROM audit_logs WHERE (entity_type = 'appointment' AND entity_id = ANY(:a))"
                   " OR metadata ->> 'client_id' = :c", a=list(appointments), c=str(history)) != set()
    assert "Leo" not in response.get_data(as_text=True)


def test_the_export_includes_requests_made_with_the_clients_email(gateway, practice, pro_headers, history):
    professional, service = practice
    with unit_of_work() as uow:
        uow.session.execute(text("UPDATE professional_settings SET allow_public_booking = false"))
        uow.commit()
    _book_publicly(gateway, professional, service, at(future_day(), 11))

    export = gateway.get(f"/clients/{history}/export", headers=pro_headers).json

    [request] = export["appointment_requests"]
    assert request["status"] == "pending" and request["client_comment"] == COMMENT
    assert any(a["entity_type"] == "appointment_request" for a in export["audit_logs"])


def test_another_professionals_client_cannot_be_exported_or_erased(gateway, uow, history):
    stranger = make_professional(uow.session, email="stranger@example.com")
    uow.commit()
    from tests.factories import headers_for

    headers = headers_for(stranger)

    assert gateway.get(f"/clients/{history}/export", headers=headers).status_code == 404
    assert gateway.delete(f"/clients/{history}", headers=headers).status_code == 404
    assert gateway.get("/clients/99999999999/export", headers=headers).status_code == 404


def test_erasure_waits_for_upcoming_appointments_to_be_cancelled_and_for_the_notice_to_leave(
        gateway, practice, pro_headers, history, send_outbox):
    professional, service = practice
    booked = _book_publicly(gateway, professional, service, at(future_day(), 10))

    refused = gateway.delete(f"/clients/{history}", headers=pro_headers)

    assert refused.status_code == 409 and refused.json["type"].endswith("/client-has-upcoming-appointments")
    assert refused.json["appointment_ids"] == [booked["id"]]
    assert gateway.delete(f"/appointments/{booked['id']}", headers=pro_headers).status_code == 200
    waiting = gateway.delete(f"/clients/{history}", headers=pro_headers)
    assert waiting.status_code == 409 and waiting.json["type"].endswith("/client-notice-unsent")
    messages = send_outbox()
    assert any(f"\nTo: {EMAIL}" in m and "cancel" in m.lower() for m in messages)
    erased = gateway.delete(f"/clients/{history}", headers=pro_headers)
    assert erased.status_code == 200, erased.json
    assert erased.json["id"] == history and erased.json["appointments_kept"] == 3


def _stats(gateway, admin_headers) -> dict:
    response = gateway.get("/admin/stats?from=2020-01-01&to=2040-01-01", headers=admin_headers)
    assert response.status_code == 200, response.json
    return response.json["totals"]


def test_after_erasure_no_column_of_any_table_holds_the_person_and_statistics_still_count(
        gateway, uow, practice, pro_headers, history, db_engine, send_outbox):
    professional, service = practice
    admin_headers = bearer(make_admin(uow.session, email="ops@example.com"))
    uow.commit()
    booked = _book_publicly(gateway, professional, service, at(future_day(), 10))
    assert gateway.put(f"/appointments/{booked['id']}", headers=pro_headers,
                       json={"notes": APPOINTMENT_NOTE}).status_code == 200
    assert gateway.delete(f"/appointments/{booked['id']}", headers=pro_headers,
                          json={"reason": f"{NAME} asked by phone"}).status_code == 200
    with unit_of_work() as work:  # a request with the same email, declined
        work.session.execute(text("UPDATE professional_settings SET allow_public_booking = false"))
        work.commit()
    _book_publicly(gateway, professional, service, at(future_day(), 11))
    [request] = gateway.get("/appointment-requests", headers=pro_headers).json["items"]
    assert gateway.post(f"/appointment-requests/{request['id']}/reject", headers=pro_headers,
                        json={"reason": f"Sorry {NAME}"}).status_code == 200
    _send_all(send_outbox)
    with db_engine.connect() as conn:
        ciphertexts = list(conn.execute(text(
            "SELECT notes FROM clients WHERE id = :c UNION ALL SELECT notes FROM appointments "
            "WHERE client_id = :c AND notes IS NOT NULL"), {"c": history}).scalars())
    before = _stats(gateway, admin_headers)
    needles = [NAME, "Evangelina", EMAIL, "evangelina.ruiz", PHONE, "611 222", CLIENT_NOTE, COMMENT,
               *ciphertexts]
    assert all(where_found(db_engine, needle) for needle in (NAME, EMAIL, PHONE, COMMENT, *ciphertexts))

    erased = gateway.delete(f"/clients/{history}", headers=pro_headers)

    assert erased.status_code == 200, erased.json
    for needle in needles:
        assert where_found(db_engine, needle) == [], needle
    assert _stats(gateway, admin_headers) == before
    assert _ids(db_engine, "SELECT id FROM appointments WHERE client_id = :c", c=history) != set()
    leo = gateway.get("/clients?q=leo", headers=pro_headers).json["items"]
    assert [c["name"] for c in leo] == ["Leo Marín"]
    shown = gateway.get(f"/clients/{history}", headers=pro_headers).json
    assert (shown["name"], shown["phone"], shown["notes"]) == ("Erased client", None, None)
    with db_engine.connect() as conn:
        entry = conn.execute(text("SELECT action, entity_type, metadata::text FROM audit_logs "
                                  "WHERE action = 'client.erased'")).one()
    assert entry[:2] == ("client.erased", "client")


def test_an_erased_client_books_again_as_a_new_client(gateway, practice, pro_headers, history):
    professional, service = practice
    assert gateway.delete(f"/clients/{history}", headers=pro_headers).status_code == 200

    booked = _book_publicly(gateway, professional, service, at(future_day(), 12))

    shown = gateway.get(f"/appointments/{booked['id']}", headers=pro_headers).json
    assert shown["client_id"] != history and shown["client"]["email"] == EMAIL
