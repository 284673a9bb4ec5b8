"""Local dates for availability tests: days ahead of the real today, and the next DST change of a zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

MADRID = "Europe/Madrid"


def local_today(zone: str = MADRID) -> dt.date:
    return dt.datetime.now(ZoneInfo(zone)).date()


def upcoming(weekday: int, *, weeks: int = 1, zone: str = MADRID) -> dt.date:
    """A local date on `weekday` (0 = Monday) at least a week ahead, so no notice rule gets in the way."""
    today = local_today(zone)
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)


def next_offset_change(zone: str, *, forward: bool) -> dt.date:
    """The next local date, at least two days ahead, on which the clocks go forward (or back)."""
    tz = ZoneInfo(zone)
    day = local_today(zone) + dt.timedelta(days=2)
    for _ in range(370):
        before = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), tz).utcoffset()
        after = dt.datetime.combine(day, dt.time(12), tz).utcoffset()
        if (after > before) if forward else (after < before):
            return day
        day += dt.timedelta(days=1)
    raise AssertionError(f"{zone} has no offset change within a year")
