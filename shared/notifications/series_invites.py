"""The calendar file of an e-mail about a weekly series: the whole series as it now stands (one VEVENT
with RRULE, EXDATE for the starts without an appointment, one more VEVENT per moved occurrence), or one
occurrence alone (RECURRENCE-ID), always under the series' UID."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from shared.models import ACTIVE_STATUSES, Appointment, AppointmentSeries, AppointmentStatus
from shared.notifications.calendar import Override, WeeklyRule, build_ics, series_uid
from shared.notifications.series_context import pattern_starts

CANCELLED = (AppointmentStatus.cancelled_by_client, AppointmentStatus.cancelled_by_professional)


def series_ics(session, appointment: Appointment, *, method: str, whole: bool, **common: Any
               ) -> tuple[str, bytes]:
    """(method, file) for an e-mail about `appointment`, an occurrence of a series: the whole series
    (`whole`: the e-mail tells of the series or of a change to many of its appointments), else this
    occurrence alone. The series is cancelled (METHOD:CANCEL of its UID) once none of it is still on."""
    series = session.get(AppointmentSeries, appointment.series_id)
    uid = series_uid(series.id)
    if not whole:
        return method, build_ics(
            method=method, uid=uid, sequence=series.sequence + appointment.sequence,
            start=appointment.start_datetime, end=appointment.end_datetime, timezone=series.timezone,
            recurrence_id=appointment.recurrence_start, **common)
    siblings = session.scalars(select(Appointment).where(Appointment.series_id == series.id)).all()
    kept = {a.recurrence_start: a for a in siblings if a.status not in CANCELLED}
    places = pattern_starts(series, appointment.end_datetime - appointment.start_datetime)
    on = any(a.status in ACTIVE_STATUSES for a in kept.values())
    method = "REQUEST" if on else "CANCEL"
    rule = WeeklyRule(every_weeks=series.every_weeks, count=len(places),
                      excluded=tuple(p.start for p in places if p.start not in kept) if on else ())
    overrides = tuple(
        Override(recurrence_id=a.recurrence_start, start=a.start_datetime, end=a.end_datetime,
                 sequence=series.sequence + a.sequence)
        for place, a in sorted(kept.items()) if on and a.start_datetime != place)
    return method, build_ics(method=method, uid=uid, sequence=series.sequence, start=places[0].start,
                             end=places[0].end, timezone=series.timezone, rule=rule, overrides=overrides,
                             **common)
