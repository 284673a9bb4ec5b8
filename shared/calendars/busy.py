"""Busy time from iCalendar data: recurrences expanded with their exceptions, free and cancelled left out.

recurring-ical-events expands RRULE/RDATE/EXDATE and applies the RECURRENCE-ID overrides (a moved or
cancelled occurrence) in each event's own time zone, so an occurrence keeps its wall-clock time across
a daylight-saving change; it also reads Google's X-WR-TIMEZONE. What counts as busy here:
- not STATUS:CANCELLED (a whole series, or one overridden occurrence) and not TRANSP:TRANSPARENT
  (Google's and Apple's "free"/"available");
- an all-day event (DTSTART as a date) only when the source says all-day events block, as the
  professional's whole local days;
- a floating time (no zone) read in the professional's zone; an event without an end takes no time,
  unless it is all-day (one day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar

MAX_INTERVALS = 5000  # per source and window; a calendar with more is refused rather than truncated


class CalendarUnreadable(ValueError):
    """The data is not iCalendar, or holds more busy time than a source may."""


def _instant(value: dt.date | dt.datetime, zone: ZoneInfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return dt.datetime.combine(value, dt.time(0), zone)


def busy_intervals(documents: Iterable[bytes | str], *, window_start: dt.datetime, window_end: dt.datetime,
                   zone: ZoneInfo, all_day_blocks: bool) -> list[tuple[dt.datetime, dt.datetime]]:
    """The busy spans of the iCalendar `documents` within the window, in UTC, sorted."""
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for document in documents:
        try:
            calendar = Calendar.from_ical(document)
            query = recurring_ical_events.of(calendar, skip_bad_series=True)
            for event in query.between(window_start, window_end):
                span = _span(event, zone, all_day_blocks)
                if span is not None:
                    spans.append(span)
                    if len(spans) > MAX_INTERVALS:
                        raise CalendarUnreadable(f"More than {MAX_INTERVALS} busy times in the window.")
        except CalendarUnreadable:
            raise
        except Exception:  # noqa: BLE001 - the parsers raise many kinds on bad input
            raise CalendarUnreadable("The calendar data could not be read as iCalendar.") from None
    low, high = window_start.astimezone(dt.UTC), window_end.astimezone(dt.UTC)
    # Clipped to the window; overlaps are left for the slot engine, which merges all busy time anyway.
    return sorted((max(start, low), min(end, high)) for start, end in spans if start < high and end > low)


def _span(event, zone: ZoneInfo, all_day_blocks: bool) -> tuple[dt.datetime, dt.datetime] | None:
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return None
    start_value = event.get("DTSTART")
    if start_value is None:
        return None
    start = start_value.dt
    all_day = not isinstance(start, dt.datetime)
    if all_day and not all_day_blocks:
        return None
    if event.get("DTEND") is not None:
        end = event["DTEND"].dt
    elif event.get("DURATION") is not None:
        end = start + event["DURATION"].dt
    else:
        end = start + dt.timedelta(days=1) if all_day else start
    begin, finish = _instant(start, zone), _instant(end, zone)
    return (begin.astimezone(dt.UTC), finish.astimezone(dt.UTC)) if begin < finish else None
