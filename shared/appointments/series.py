"""Book a weekly series: every occurrence is a real appointment, born through create_appointment(), all of
them checked and written in one transaction, and the client hears of the series once.

Changing a series (this occurrence, this and the following ones, or all) is the `scope` of update() and
cancel().
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from shared.appointments import holds, lookups, notices, rules
from shared.appointments.actors import Actor
from shared.appointments.book import create_appointment
from shared.appointments.effects import Effects
from shared.appointments.recurrence import (
    MAX_COUNT,
    MIN_COUNT,
    Occurrence,
    occurrences,
    occurrences_until_overflow,
)
from shared.appointments.views import SeriesView, appointment_view, series_view
from shared.clock import local, utcnow
from shared.errors import NotFound, ValidationFailed
from shared.fields import MAX_ID
from shared.models import Appointment, AppointmentSeries, AppointmentStatus, Professional


def book_series(uow, actor: Actor, booking_in: dict[str, Any], *,
                now: dt.datetime | None = None) -> SeriesView:
    """The professional books a client into a service every N weeks at the local time of the first start.

    Every occurrence is checked against the professional's other appointments and time off in one
    statement; any clash refuses the whole series (409 naming every clashing start), unless
    `skip_conflicts`: then the free ones are booked and the others are the series' `skipped`. The
    exclusion constraint still has the last word: a booking that slips in meanwhile makes the whole series
    a 409, and nothing is written.
    """
    now = utcnow(now)
    session = uow.session
    policy = actor.policy
    recurrence = booking_in["recurrence"]

    # Load: the professional and the service (and the client, when given by id).
    professional = lookups.professional(session, actor.professional_id)
    service = lookups.service(session, professional_id=professional.id, service_id=booking_in["service_id"])
    client = None
    if "client_id" in booking_in:
        client = lookups.client(session, professional_id=professional.id, client_id=booking_in["client_id"])

    # Check the rules: the pattern, the service, every time.
    planned = plan(professional, booking_in["start_datetime"], dt.timedelta(minutes=service.duration_minutes),
                   every_weeks=recurrence["every_weeks"], count=recurrence.get("count"),
                   until=recurrence.get("until"))
    rules.check_service_bookable(service, policy)
    taken = set(rules.taken_times(session, professional, [(o.start, o.end) for o in planned], now=now))
    if taken and (not booking_in.get("skip_conflicts") or len(taken) == len(planned)):
        raise rules.series_conflict(professional, [o.start for o in planned if o.index in taken])

    # Write, and record the effects.
    if client is None:
        client_in = booking_in["client"]
        client = lookups.find_or_create_client(
            session, professional_id=professional.id, name=client_in["name"], email=client_in["email"],
            phone=client_in.get("phone"))
    series = AppointmentSeries(
        professional_id=professional.id, client_id=client.id, service_id=service.id,
        every_weeks=recurrence["every_weeks"], count=recurrence.get("count"), until=recurrence.get("until"),
        start_datetime=planned[0].start, timezone=professional.timezone)
    session.add(series)
    effects = Effects(uow, actor, professional)
    effects.flush(policy.conflict(professional))
    status = AppointmentStatus(booking_in.get("status")
                               or professional.settings.default_appointment_status.value)
    # Holds past their expiry in the series' span are marked so once (release_expired() per occurrence
    # would be a statement each; marking a lapsed hold between them is what the sweep does anyway).
    holds.release_expired(effects, start=planned[0].start, end=planned[-1].end, now=now)
    booked = []
    for occurrence in planned:
        if occurrence.index in taken:
            continue
        appointment, _token = create_appointment(
            effects, service, client, start=occurrence.start, end=occurrence.end, now=now, status=status,
            notes=booking_in.get("notes"), public=False, series=series, release_holds=False,
            audit_extra={"series_id": series.id})
        booked.append(appointment)
    notices.series_booked(effects, series, booked[0], client)
    skipped = [o.start for o in planned if o.index in taken]
    return effects.commit(policy.conflict(professional), lambda: series_view(
        series, [appointment_view(a, professional.timezone, client=client, service=service) for a in booked],
        skipped))


def plan(professional: Professional, first_start: dt.datetime, duration: dt.timedelta, *, every_weeks: int,
         count: int | None, until: dt.date | None) -> list[Occurrence]:
    """The occurrences of a new series, or a 422 saying why `until` gives none that can be booked."""
    zone = ZoneInfo(professional.timezone)
    first_start = first_start.astimezone(dt.UTC)
    first_day = local(first_start, professional.timezone).date()
    if until is not None and until < first_day:
        raise _bad_until(f"The last date is before the first appointment ({first_day.isoformat()}).")
    if until is not None and occurrences_until_overflow(first_start=first_start, zone=zone,
                                                        every_weeks=every_weeks, until=until):
        raise _bad_until(f"A series has at most {MAX_COUNT} appointments; give an earlier date or a count.")
    planned = occurrences(first_start=first_start, duration=duration, zone=zone, every_weeks=every_weeks,
                          count=count, until=until)
    if len(planned) < MIN_COUNT:
        raise _bad_until(f"A series has at least {MIN_COUNT} appointments; give a date at least "
                         f"{every_weeks} week{'s' if every_weeks > 1 else ''} after {first_day.isoformat()}.")
    return planned


def _bad_until(message: str) -> ValidationFailed:
    return ValidationFailed(errors={"recurrence": {"until": [message]}})


def pattern(series: AppointmentSeries, duration: dt.timedelta) -> list[Occurrence]:
    """Every occurrence of the series' pattern, booked or not."""
    return occurrences(first_start=series.start_datetime, duration=duration, zone=ZoneInfo(series.timezone),
                       every_weeks=series.every_weeks, count=series.count, until=series.until)


def occurrences_of(session, series: AppointmentSeries, *, lock: bool = False) -> list[Appointment]:
    """The series' appointments (client and service loaded) in the order of the pattern."""
    query = (lookups.appointments_of(series.professional_id).where(Appointment.series_id == series.id)
             .order_by(Appointment.recurrence_start))
    if lock:
        query = query.with_for_update(of=Appointment)
    return list(session.scalars(query).unique())


def find(session, *, professional_id: int, series_id: int) -> AppointmentSeries:
    """One of the professional's series; NotFound for anyone else's."""
    found = session.scalar(select(AppointmentSeries).where(
        AppointmentSeries.id == series_id, AppointmentSeries.professional_id == professional_id)) \
        if series_id <= MAX_ID else None
    if found is None:
        raise NotFound("The appointment series does not exist.")
    return found


def show(session, professional: Professional, series: AppointmentSeries) -> SeriesView:
    """The professional's view of a series: its appointments and the pattern's starts that have none."""
    appointments = occurrences_of(session, series)
    duration = dt.timedelta(minutes=appointments[0].service.duration_minutes) if appointments \
        else dt.timedelta(0)
    places = {a.recurrence_start for a in appointments}
    skipped = [o.start for o in pattern(series, duration) if o.start not in places]
    return series_view(series, [appointment_view(a, professional.timezone) for a in appointments], skipped)


def get(uow, actor: Actor, *, series_id: int) -> SeriesView:
    """GET /appointment-series/<id>."""
    professional = lookups.professional(uow.session, actor.professional_id)
    return show(uow.session, professional, find(uow.session, professional_id=professional.id,
                                                 series_id=series_id))
