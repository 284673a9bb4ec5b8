"""What an e-mail about an appointment of a weekly series says of the series (the series_* keys of
render.CONTEXT_KEYS), re-read when it is sent like the rest of its context.

A new series' e-mail (payload series_id, no scope) tells of its booked sessions and the weeks left without
one; a change to several of them (payload series_id, scope, appointment_ids) tells of the changed ones; an
e-mail about one occurrence alone says that the other sessions stay as they are.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from shared.appointments.recurrence import occurrences
from shared.models import ACTIVE_STATUSES, Appointment, AppointmentSeries

# The kinds that tell of a change, which may reach one occurrence alone.
CHANGE_KINDS = frozenset({
    "booking_confirmation", "rescheduled", "rescheduled_professional", "cancelled_by_professional",
    "cancellation_confirmation", "cancelled_by_client",
})
SCOPES = ("this", "following", "all")


def pattern_starts(series: AppointmentSeries, duration) -> list:
    """The places of the series' pattern (one occurrence each, at its local time), whether or not an
    appointment holds them now."""
    return occurrences(first_start=series.start_datetime, duration=duration, zone=ZoneInfo(series.timezone),
                       every_weeks=series.every_weeks, count=series.count, until=series.until)


def series_context(session, kind: str, appointment: Appointment, payload: dict) -> dict[str, Any]:
    """The series_* context keys for an e-mail about `appointment` (none when it is of no series)."""
    series = appointment.series_id and session.get(AppointmentSeries, appointment.series_id)
    if not series:
        return {}
    context: dict[str, Any] = {"series_every_weeks": series.every_weeks}
    if "series_id" not in payload:
        return context | {"series_scope": "this"} if kind in CHANGE_KINDS else {}
    siblings = session.scalars(select(Appointment).where(Appointment.series_id == series.id)).all()
    scope = payload.get("scope")
    if scope is None:
        shown = [a for a in siblings if a.status in ACTIVE_STATUSES]
        places = pattern_starts(series, appointment.end_datetime - appointment.start_datetime)
        booked = {a.recurrence_start for a in siblings}
        context["series_skipped"] = [p.start for p in places if p.start not in booked]
    else:
        changed = set(payload.get("appointment_ids") or ())
        shown = [a for a in siblings if a.id in changed]
        context["series_scope"] = scope if scope in SCOPES else "following"
    starts = sorted(a.start_datetime for a in shown) or [appointment.start_datetime]
    return context | {"series_count": len(starts), "series_first_start": starts[0],
                      "series_last_start": starts[-1]}
