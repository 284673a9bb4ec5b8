"""Bookings and requests made through the product's own commands, for page tests to start from."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from shared import linktokens
from shared import models as m
from shared.appointments import book as booking
from shared.appointments.actors import ANONYMOUS_CLIENT, Actor
from shared.appointments.series import book_series
from shared.availability import service as availability
from shared.db import unit_of_work
from tests.factories import make_client

MADRID = ZoneInfo("Europe/Madrid")


def free_start(slug: str, service_id: int, *, days_ahead: int) -> dt.datetime:
    """The first free time `days_ahead` days from today (Madrid)."""
    day = dt.datetime.now(MADRID).date() + dt.timedelta(days=days_ahead)
    with unit_of_work() as uow:
        result = availability.get_public_slots(uow, slug=slug, service_id=service_id, date_from=day,
                                               date_to=day)
    return result["slots"][0][0]


def book(slug: str, service_id: int, *, days_ahead: int = 3, name: str = "Ana Ruiz",
         email: str = "ana@example.com"):
    """A public booking (an appointment, or a request when the professional confirms by hand)."""
    start = free_start(slug, service_id, days_ahead=days_ahead)
    with unit_of_work() as uow:
        return booking.book(uow, ANONYMOUS_CLIENT, {"service_id": service_id, "start_datetime": start,
                                                    "name": name, "email": email}, slug=slug)


def series(uow, professional, service, *, allow: bool) -> list[str]:
    """A weekly series of four, from three days ahead at 10:00; the client link token of each session."""
    professional.settings.allow_client_series_cancel = allow
    client = make_client(uow.session, professional, name="Ana Ruiz", email="ana@example.com")
    uow.commit()
    day = dt.datetime.now(MADRID).date() + dt.timedelta(days=3)
    with unit_of_work() as work:
        series = book_series(work, Actor.professional(professional.id, professional.user_id), booking_in={
            "service_id": service.id, "client_id": client.id, "recurrence": {"every_weeks": 1, "count": 4},
            "start_datetime": dt.datetime.combine(day, dt.time(10)).replace(tzinfo=MADRID)})
    nonces = [uow.session.scalar(select(m.PublicLink.token_nonce).where(m.PublicLink.appointment_id == a.id))
              for a in series.appointments]
    return [linktokens.derive("appointment", nonce) for nonce in nonces]
