"""Bookings and requests made through the product's own commands, for page tests to start from."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from shared.appointments import public
from shared.availability import service as availability
from shared.db import unit_of_work

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
        return public.book(uow, slug=slug, booking_in={"service_id": service_id, "start_datetime": start,
                                                       "name": name, "email": email})
