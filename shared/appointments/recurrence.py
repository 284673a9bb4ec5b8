"""Weekly series: the occurrences of a recurrence, at one local wall-clock time in the professional's zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

MIN_EVERY_WEEKS, MAX_EVERY_WEEKS = 1, 4
MIN_COUNT, MAX_COUNT = 2, 52


@dataclass(frozen=True)
class Occurrence:
    """One appointment of a series: its place in the series and its UTC bounds."""

    index: int
    start: dt.datetime
    end: dt.datetime


def local_start(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The wall-clock start that every occurrence of a series keeps, DST or not."""
    return moment.astimezone(zone).replace(tzinfo=None)


def occurrences(*, first_start: dt.datetime, duration: dt.timedelta, zone: ZoneInfo, every_weeks: int,
                count: int | None = None, until: dt.date | None = None) -> list[Occurrence]:
    """Every occurrence from `first_start` (aware) on, each `every_weeks` weeks apart at the same local time.

    Exactly one of `count` (occurrences in all) and `until` (last local date, inclusive) bounds the
    series, which never has more than MAX_COUNT occurrences. A local time that a DST change skips
    that day moves forward by the gap, as the calendar standard does (RFC 5545 3.3.5).
    """
    if (count is None) == (until is None):
        raise ValueError("give exactly one of count and until")
    wall = local_start(first_start, zone)
    result = []
    for index in range(MAX_COUNT):
        local = wall + dt.timedelta(weeks=every_weeks * index)
        if count is not None and index >= count:
            break
        if until is not None and local.date() > until:
            break
        # fold=0 resolves a repeated hour to its first instance; a skipped hour round-trips forward.
        start = local.replace(tzinfo=zone).astimezone(dt.UTC)
        result.append(Occurrence(index=index, start=start, end=start + duration))
    return result


def occurrences_until_overflow(*, first_start: dt.datetime, zone: ZoneInfo, every_weeks: int,
                               until: dt.date) -> bool:
    """True when `until` lies beyond the MAX_COUNT-th occurrence, so the series would be cut short."""
    wall = local_start(first_start, zone)
    return (wall + dt.timedelta(weeks=every_weeks * MAX_COUNT)).date() <= until


def shifted(place: dt.datetime, zone: ZoneInfo, *, days: int, wall_time: dt.time) -> dt.datetime:
    """An occurrence's new start when its series moves: `days` after its place in the pattern (a local
    date), at the new local `wall_time`, so every moved occurrence keeps one wall-clock time across DST."""
    day = place.astimezone(zone).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, wall_time).replace(tzinfo=zone).astimezone(dt.UTC)
