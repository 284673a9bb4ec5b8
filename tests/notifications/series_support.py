"""The weekly series both series e-mail tests send: twelve Tuesdays at 18:00 in Madrid from 5 October 2027
(across the end of summer time on the 31st), with week 9 already taken."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from shared.appointments.actors import Actor
from shared.appointments.series import book_series
from shared.db import unit_of_work
from tests.factories import make_appointment, make_client, make_service

from .outbox_support import T0

MADRID = ZoneInfo("Europe/Madrid")
FIRST = dt.datetime(2027, 10, 5, 18, 0, tzinfo=MADRID)  # a Tuesday; summer time ends on 2027-10-31


def week(n: int, hour: int = 18) -> dt.datetime:
    """The n-th Tuesday of the series (from 1), at `hour` local time."""
    return (FIRST.replace(tzinfo=None, hour=hour) + dt.timedelta(weeks=n - 1)).replace(tzinfo=MADRID)


def in_one(function, **kwargs):
    """A command in its own unit of work, as a handler runs it."""
    with unit_of_work() as work:
        return function(work, **kwargs)


def week_nine_taken(uow, professional) -> tuple[Actor, int, int]:
    """The service, the client and an appointment in week 9: (the professional as actor, service id,
    client id)."""
    service = make_service(uow.session, professional, name="Terapia individual", duration_minutes=50)
    client = make_client(uow.session, professional, name="Lucía Cliente", email="lucia@example.com")
    make_appointment(uow.session, professional, service=service, client=client, start=week(9))
    uow.commit()
    return Actor.professional(professional.id, professional.user_id), service.id, client.id


def book_twelve_weeks(actor: Actor, service_id: int, client_id: int):
    """The series, week 9 skipped (`skip_conflicts`)."""
    return in_one(book_series, actor=actor, now=T0, booking_in={
        "service_id": service_id, "start_datetime": FIRST, "client_id": client_id, "skip_conflicts": True,
        "recurrence": {"every_weeks": 1, "count": 12}})
