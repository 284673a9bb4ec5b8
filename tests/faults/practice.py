"""A bookable practice and one pass over every public endpoint, for the fault tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from tests.factories import DEFAULT_PASSWORD, make_block, make_professional, make_service

_clients = itertools.count(1)


@dataclass(frozen=True)
class Practice:
    email: str
    slug: str
    service_id: int


def make_practice(session, email: str = "faults@example.com") -> Practice:
    """A professional open every day 09:00-13:00 with one 60-minute service, committed."""
    professional = make_professional(session, email=email)
    for day in range(7):
        make_block(session, professional, day_of_week=day, start="09:00", end="13:00")
    service = make_service(session, professional)
    session.commit()
    return Practice(email, professional.public_slug, service.id)


def public_round(client, practice: Practice, day) -> dict[str, int]:
    """Log in, list slots, book the first one and open its client link; each endpoint's status."""
    statuses = {}
    login = client.post("/auth/login", json={"email": practice.email, "password": DEFAULT_PASSWORD})
    statuses["login"] = login.status_code
    slots = client.get(f"/public/professionals/{practice.slug}/slots",
                       params={"service_id": practice.service_id, "date": day.isoformat()})
    statuses["slots"] = slots.status_code
    if slots.status_code != 200:
        return statuses
    start = slots.json()["slots"][0]["start_datetime"]
    booking = client.post(f"/public/professionals/{practice.slug}/appointments", json={
        "service_id": practice.service_id, "start_datetime": start, "name": "Eva",
        "email": f"client{next(_clients)}@example.com"})
    statuses["booking"] = booking.status_code
    if booking.status_code == 201:
        link = client.get(f"/public/appointments/{booking.json()['cancellation_token']}")
        statuses["client link"] = link.status_code
    return statuses


ANSWERED = {"login": 200, "slots": 200, "booking": 201, "client link": 200}
