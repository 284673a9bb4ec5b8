"""Slot engine: bookable slots from availability blocks, busy time and booking rules (pure, no I/O)."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

MIDNIGHT = time(0, 0)
ONE_DAY = timedelta(days=1)


class WeeklyBlock(NamedTuple):
    """Recurring availability every `weekday` (0 = Monday) from `start` to `end`, local wall-clock time."""

    weekday: int
    start: time
    end: time


class DatedBlock(NamedTuple):
    """One-off availability on a local `date`, on top of that weekday's recurring blocks."""

    date: date
    start: time
    end: time


class Interval(NamedTuple):
    """Busy time [start, end) as aware datetimes: an appointment, a time off or an imported busy time."""

    start: datetime
    end: datetime


class Slot(NamedTuple):
    """A bookable slot [start, end) as aware datetimes."""

    start: datetime
    end: datetime


def compute_slots(
    *,
    timezone: str,
    date_from: date,
    date_to: date,
    weekly_blocks: Iterable[WeeklyBlock],
    dated_blocks: Iterable[DatedBlock] = (),
    appointments: Iterable[Interval] = (),
    time_off: Iterable[Interval] = (),
    imported_busy: Iterable[Interval] = (),
    buffer_minutes: int = 0,
    duration_minutes: int,
    interval_minutes: int | None = None,
    now: datetime,
    minimum_notice_minutes: int = 0,
    booking_advance_days: int,
) -> list[Slot]:
    """Bookable slots on the professional's local dates `date_from`..`date_to` (inclusive).

    Blocks are wall-clock times in `timezone` (an IANA name). The candidates of a local date are the
    recurring blocks of its weekday plus the one-off blocks of that date; blocks are not merged: each
    block yields starts at its own start + k * interval (interval defaults to the duration), stepped in
    local wall-clock time, and a slot must fit inside one block. Identical starts are returned once.
    A block ending at 00:00 ends at midnight at the end of its date.

    Daylight-saving rules:
    - a start that does not exist locally (spring-forward gap) is skipped;
    - an ambiguous start (fall-back) means its FIRST occurrence (fold=0), and is produced once;
    - a slot's end is start + duration in elapsed time, and must not pass the block's end, which is
      the first instant the local clock reads the end time (the end of the gap if it falls in one).

    Busy time is half-open: a slot may end exactly when an appointment starts. Appointments are widened
    by `buffer_minutes` on each side; time off and `imported_busy` (busy time read from the professional's
    own calendars) are not. Slots start no earlier than now + notice and on
    a local date no later than the professional's today + `booking_advance_days`.

    Returns slots sorted by start, as aware datetimes in `timezone`. Naive datetimes raise ValueError.
    """
    if duration_minutes <= 0 or (interval_minutes is not None and interval_minutes <= 0):
        raise ValueError("duration and interval must be positive")
    if min(buffer_minutes, minimum_notice_minutes, booking_advance_days) < 0:
        raise ValueError("buffer, notice and booking advance must not be negative")
    zone = ZoneInfo(timezone)  # instances are cached by zoneinfo itself
    duration = timedelta(minutes=duration_minutes)
    step = timedelta(minutes=interval_minutes or duration_minutes)
    now_utc = _to_utc(now)
    earliest = now_utc + timedelta(minutes=minimum_notice_minutes)
    today = now_utc.astimezone(zone).date()
    # Earlier local dates only hold starts before now, so they are not even walked.
    day, last_day = max(date_from, today), min(date_to, today + timedelta(days=booking_advance_days))
    busy_starts, busy_ends = _busy_timeline(appointments, (*time_off, *imported_busy),
                                            timedelta(minutes=buffer_minutes))

    weekly: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for weekday, start, end in weekly_blocks:
        weekly[weekday].append((start, end))
    dated: dict[date, list[tuple[time, time]]] = defaultdict(list)
    for on, start, end in dated_blocks:
        dated[on].append((start, end))

    found: dict[datetime, Slot] = {}
    while day <= last_day:
        for start, end in weekly.get(day.weekday(), []) + dated.get(day, []):
            # Aware datetimes sharing one tzinfo add and compare as wall-clock readings: the local grid.
            wall_end = datetime.combine(day + ONE_DAY if end == MIDNIGHT else day, end, zone)
            block_end = _first_instant_at(wall_end)
            if block_end - duration < earliest:
                continue
            wall = datetime.combine(day, start, zone) - step  # the loop steps before each candidate
            while (wall := wall + step) < wall_end:
                start_utc = wall.astimezone(UTC)  # fold=0: an ambiguous time's first occurrence
                local = start_utc.astimezone(zone)
                if local != wall:  # same tzinfo, so wall clocks compared: a gap time comes back shifted
                    continue
                end_utc = start_utc + duration
                if start_utc < earliest or end_utc > block_end or start_utc in found:
                    continue
                # Busy spans are disjoint and sorted, so the first one ending after the start decides.
                i = bisect_right(busy_ends, start_utc)
                if i < len(busy_starts) and busy_starts[i] < end_utc:
                    continue
                found[start_utc] = Slot(local, end_utc.astimezone(zone))
        day += ONE_DAY
    return [found[key] for key in sorted(found)]


def present(slots: Iterable[Slot], tz_name: str) -> list[Slot]:
    """The same slots expressed in another IANA zone (the client's), for display."""
    zone = ZoneInfo(tz_name)
    return [Slot(start.astimezone(zone), end.astimezone(zone)) for start, end in slots]


def _to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is UTC:
        return moment
    # astimezone() would silently read a naive value as the server's local time.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime: {moment!r}")
    return moment.astimezone(UTC)


def _busy_timeline(appointments: Iterable[Interval], unbuffered: Iterable[Interval],
                   buffer: timedelta) -> tuple[list[datetime], list[datetime]]:
    """Busy time as disjoint UTC spans sorted by start, split into starts and ends for bisecting."""
    spans = [(_to_utc(start) - buffer, _to_utc(end) + buffer) for start, end in appointments]
    spans += [(_to_utc(start), _to_utc(end)) for start, end in unbuffered]
    spans.sort()
    starts: list[datetime] = []
    ends: list[datetime] = []
    for start, end in spans:
        if end <= start:
            continue
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _first_instant_at(wall: datetime) -> datetime:
    """The first UTC instant at which the local clock reads the zone-aware `wall` or later."""
    first = wall.astimezone(UTC)  # fold=0: an ambiguous time's first occurrence
    if first.astimezone(wall.tzinfo) == wall:  # it exists (not in a gap)
        return first
    # In a gap, fold=0 maps past the transition and fold=1 before it; the clock jumps over `wall` at
    # the transition, so bisect for it (whole seconds, as in the tz database).
    zone = wall.tzinfo
    low, high = int(wall.replace(fold=1).timestamp()), int(wall.replace(fold=0).timestamp())
    offset_after = datetime.fromtimestamp(high, zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)
