"""Closing an account (by the professional, or an admin removing one) erases every client as erasure does."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from shared.db import unit_of_work
from tests.factories import bearer, make_admin, make_appointment, make_client
from tests.privacy.conftest import at, future_day, where_found

PAST = dt.datetime(2025, 3, 4, 9, 0, tzinfo=dt.UTC)
PEOPLE = [("Evangelina Ruiz", "evangelina.ruiz@example.com"), ("Leocadio Marín", "leocadio@example.com")]


def _clients(uow, practice) -> list[int]:
    professional, service = practice
    ids = []
    for number, (name, email) in enumerate(PEOPLE):
        client = make_client(uow.session, professional, name=name, email=email, phone=f"+34 600 00{number}")
        client.notes = f"Private file of {name}"
        make_appointment(uow.session, professional, service=service, client=client,
                         start=PAST + dt.timedelta(days=number), status="completed", notes="Went well")
        ids.append(client.id)
    uow.commit()
    return ids


def _request_by_a_stranger(gateway, practice, pro_headers):
    professional, service = practice
    with unit_of_work() as uow:
        uow.session.execute(text("UPDATE professional_settings SET allow_public_booking = false"))
        uow.commit()
    assert gateway.post(f"/public/professionals/{professional.public_slug}/appointments", json={
        "service_id": service.id, "start_datetime": at(future_day(), 10), "name": "Nora Stranger",
        "email": "nora.stranger@example.com"}).status_code == 202
    [request] = gateway.get("/appointment-requests", headers=pro_headers).json["items"]
    assert gateway.post(f"/appointment-requests/{request['id']}/reject", headers=pro_headers,
                        json={}).status_code == 200


def test_closing_without_confirming_offers_each_clients_export_and_changes_nothing(
        gateway, uow, practice, pro_headers, db_engine):
    ids = _clients(uow, practice)

    response = gateway.delete("/me", headers=pro_headers, json={})

    assert response.status_code == 422 and "confirm" in response.json["errors"]
    assert response.json["export_urls"] == [f"/clients/{i}/export" for i in ids]
    assert where_found(db_engine, "Evangelina") and gateway.get("/me", headers=pro_headers).status_code == 200


def test_closing_waits_while_an_appointment_is_ahead(gateway, uow, practice, pro_headers):
    professional, service = practice
    [eva, _leo] = _clients(uow, practice)
    booked = gateway.post("/appointments", headers=pro_headers, json={
        "service_id": service.id, "client_id": eva, "start_datetime": at(future_day(), 9)})
    assert booked.status_code == 201

    response = gateway.delete("/me", headers=pro_headers, json={"confirm": True})

    assert response.status_code == 409 and response.json["appointment_ids"] == [booked.json["id"]]


def test_closing_erases_every_client_and_switches_the_account_off(
        gateway, uow, practice, pro_headers, db_engine, send_outbox):
    _clients(uow, practice)
    _request_by_a_stranger(gateway, practice, pro_headers)
    send_outbox()

    response = gateway.delete("/me", headers=pro_headers, json={"confirm": True})

    assert response.status_code == 200, response.json
    assert (response.json["clients_erased"], response.json["appointment_requests_erased"]) == (2, 1)
    for needle in ("Evangelina", "evangelina.ruiz", "Leocadio", "leocadio@", "+34 600 00", "Private file",
                   "Nora Stranger", "nora.stranger"):
        assert where_found(db_engine, needle) == [], needle
    assert gateway.get("/me", headers=pro_headers).status_code == 401
    with db_engine.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM appointments WHERE status = 'completed'")).scalar()
        actions = set(conn.execute(text("SELECT action FROM audit_logs")).scalars())
    assert kept == 2 and {"account.closed", "client.erased", "user.deactivated"} <= actions


def test_an_admin_removing_a_professional_erases_their_clients(gateway, uow, practice, db_engine):
    professional, _service = practice
    _clients(uow, practice)
    admin_headers = bearer(make_admin(uow.session, email="ops@example.com"))
    uow.commit()

    refused = gateway.delete(f"/admin/professionals/{professional.id}", headers=admin_headers, json={})
    response = gateway.delete(f"/admin/professionals/{professional.id}", headers=admin_headers,
                              json={"confirm": True})

    assert refused.status_code == 422
    assert response.status_code == 200, response.json
    assert response.json["clients_erased"] == 2
    assert where_found(db_engine, "Evangelina") == [] and where_found(db_engine, "Leocadio") == []
    detail = gateway.get(f"/admin/professionals/{professional.id}", headers=admin_headers).json
    assert detail["is_active"] is False
    assert gateway.delete("/admin/professionals/99999999999999999999", headers=admin_headers,
                          json={"confirm": True}).status_code == 404
