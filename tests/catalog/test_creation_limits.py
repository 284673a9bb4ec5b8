"""What one professional can create in a day is limited (RATE_LIMIT_CLIENTS_CREATED,
RATE_LIMIT_APPOINTMENTS_CREATED): an account cannot be turned into a machine that mails anyone."""

from __future__ import annotations

import datetime as dt

from shared.config import reset_settings
from tests.factories import headers_for, make_block, make_professional, make_service


def test_clients_created_per_professional_and_day_are_capped(gateway, uow, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_CLIENTS_CREATED", "2/day")
    reset_settings()
    spammer = make_professional(uow.session, email="spam@example.com")
    other = make_professional(uow.session, email="other@example.com")
    uow.commit()

    statuses = [gateway.post("/clients", json={"name": f"Target {n}", "email": f"t{n}@example.com"},
                             headers=headers_for(spammer)).status_code for n in range(3)]
    elsewhere = gateway.post("/clients", json={"name": "Real", "email": "real@example.com"},
                             headers=headers_for(other))

    assert statuses == [201, 201, 429]
    assert elsewhere.status_code == 201


def test_appointments_created_per_professional_and_day_are_capped(gateway, uow, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_APPOINTMENTS_CREATED", "1/day")
    reset_settings()
    professional = make_professional(uow.session, email="spam@example.com")
    service = make_service(uow.session, professional, duration_minutes=60)
    make_block(uow.session, professional, weekday=2, start="09:00", end="13:00")
    uow.commit()
    wednesday = dt.date.today() + dt.timedelta(days=(2 - dt.date.today().weekday()) % 7 + 7)

    def book(hour: int, n: int):
        start = dt.datetime.combine(wednesday, dt.time(hour), tzinfo=dt.timezone(dt.timedelta(hours=1)))
        return gateway.post("/appointments", headers=headers_for(professional), json={
            "service_id": service.id, "start_datetime": start.isoformat(),
            "client": {"name": f"Target {n}", "email": f"t{n}@example.com"}})

    assert [book(9, 1).status_code, book(11, 2).status_code] == [201, 429]
