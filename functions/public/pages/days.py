"""The days and free times a page offers, in the visitor's time zone (DST days included)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from shared.availability import service as availability

# How many days ahead the "next free days" list looks, and how many it shows.
LOOKAHEAD_DAYS = 21
NEXT_DAYS_SHOWN = 7


@dataclass
class DayChoice:
    """The chosen day, its free times, and the next days that have some."""

    zone: str
    today: dt.date
    last: dt.date
    day: dt.date
    slots: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    next_days: list[dt.date] = field(default_factory=list)
    day_error: bool = False


def _by_local_day(result: dict, zone: ZoneInfo) -> dict[dt.date, list]:
    days: dict[dt.date, list] = {}
    for start, end in result["slots"]:
        days.setdefault(start.astimezone(zone).date(), []).append((start, end))
    return days


def choose(uow, *, slug: str, service_id: int, zone: str, advance_days: int, requested: str | None,
           now: dt.datetime | None = None) -> DayChoice:
    """The free times of the requested local day (or of the first day that has some)."""
    tz = ZoneInfo(zone)
    now = now or dt.datetime.now(dt.UTC)
    today = now.astimezone(tz).date()
    last = today + dt.timedelta(days=advance_days)
    day, day_error = None, False
    if requested:
        try:
            day = dt.date.fromisoformat(requested)
        except ValueError:
            day_error = True
        if day is not None and not today <= day <= last:
            day, day_error = None, True
    # The slot engine works on the professional's dates: a day before and after covers any zone offset.
    ahead = min(last, today + dt.timedelta(days=LOOKAHEAD_DAYS))
    found = _by_local_day(availability.get_public_slots(
        uow, slug=slug, service_id=service_id, date_from=today - dt.timedelta(days=1),
        date_to=ahead + dt.timedelta(days=1), tz=zone, now=now), tz)
    free_days = sorted(d for d in found if today <= d <= ahead)
    if day is None:
        day = free_days[0] if free_days else today
    if day in found or today <= day <= ahead:
        slots = found.get(day, [])
    else:
        slots = _by_local_day(availability.get_public_slots(
            uow, slug=slug, service_id=service_id, date_from=day - dt.timedelta(days=1),
            date_to=day + dt.timedelta(days=1), tz=zone, now=now), tz).get(day, [])
    next_days = [d for d in free_days if d != day][:NEXT_DAYS_SHOWN]
    return DayChoice(zone=zone, today=today, last=last, day=day, slots=slots, next_days=next_days,
                     day_error=day_error)
