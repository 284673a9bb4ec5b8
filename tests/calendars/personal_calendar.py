"""One personal calendar for the source tests, dated around Madrid's next clock change, and the slots
a 60-minute service keeps on each of its days (Monday to Friday 09:00-18:00)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.calendars.conftest import ics, stamp

MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
DAY_SLOTS = [dt.time(hour) for hour in range(9, 18)]  # 60-minute slots in 09:00-18:00


def _next_clock_change() -> dt.date:
    """The next Sunday, at least 15 days ahead, on which Madrid's clocks change (either way)."""
    day = dt.datetime.now(MADRID).date() + dt.timedelta(days=15)
    while True:
        noon_before = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), MADRID).utcoffset()
        if dt.datetime.combine(day, dt.time(12), MADRID).utcoffset() != noon_before:
            return day
        day += dt.timedelta(days=1)


CHANGE = _next_clock_change()
A = CHANGE - dt.timedelta(days=13)  # a Monday two weeks before the change
B, C, D = A + dt.timedelta(days=7), CHANGE + dt.timedelta(days=1), CHANGE + dt.timedelta(days=8)
TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (A + dt.timedelta(days=n) for n in (1, 2, 3, 4))


def _local(day: dt.date, hour: int, zone: ZoneInfo = MADRID) -> str:
    return dt.datetime.combine(day, dt.time(hour), zone).strftime("%Y%m%dT%H%M%S")


FIXTURE = ics(
    # A weekly series at 10:00 Madrid time across the clock change: the occurrence of A moved to 15:00,
    # the one of B cancelled.
    f"""UID:weekly@example.com
    SUMMARY:Supervision
    DTSTART;TZID=Europe/Madrid:{_local(A, 10)}
    DTEND;TZID=Europe/Madrid:{_local(A, 11)}
    RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4""",
    f"""UID:weekly@example.com
    RECURRENCE-ID;TZID=Europe/Madrid:{_local(A, 10)}
    SUMMARY:Supervision (moved)
    DTSTART;TZID=Europe/Madrid:{_local(A, 15)}
    DTEND;TZID=Europe/Madrid:{_local(A, 16)}""",
    f"""UID:weekly@example.com
    RECURRENCE-ID;TZID=Europe/Madrid:{_local(B, 10)}
    SUMMARY:Supervision
    STATUS:CANCELLED
    DTSTART;TZID=Europe/Madrid:{_local(B, 10)}
    DTEND;TZID=Europe/Madrid:{_local(B, 11)}""",
    f"""UID:holiday@example.com
    SUMMARY:Holiday
    DTSTART;VALUE=DATE:{TUESDAY:%Y%m%d}
    DTEND;VALUE=DATE:{WEDNESDAY:%Y%m%d}""",
    f"""UID:free@example.com
    SUMMARY:Reading time (free)
    TRANSP:TRANSPARENT
    DTSTART;TZID=Europe/Madrid:{_local(WEDNESDAY, 12)}
    DTEND;TZID=Europe/Madrid:{_local(WEDNESDAY, 13)}""",
    f"""UID:call@example.com
    SUMMARY:Call with New York
    DTSTART;TZID=America/New_York:{_local(THURSDAY, 7, NEW_YORK)}
    DTEND;TZID=America/New_York:{_local(THURSDAY, 8, NEW_YORK)}""",
    f"""UID:utc@example.com
    SUMMARY:Dentist
    DTSTART:{stamp(dt.datetime.combine(FRIDAY, dt.time(8), dt.UTC))}
    DTEND:{stamp(dt.datetime.combine(FRIDAY, dt.time(9), dt.UTC))}""",
)


def _madrid_hour(day: dt.date, hour: int, zone: ZoneInfo) -> dt.time:
    return dt.datetime.combine(day, dt.time(hour), zone).astimezone(MADRID).time()


EXPECTED_FREE = {
    A: [t for t in DAY_SLOTS if t != dt.time(15)],  # moved from 10:00 to 15:00
    TUESDAY: [],  # all-day event
    WEDNESDAY: DAY_SLOTS,  # a transparent event does not block
    THURSDAY: [t for t in DAY_SLOTS if t != _madrid_hour(THURSDAY, 7, NEW_YORK)],
    FRIDAY: [t for t in DAY_SLOTS if t != _madrid_hour(FRIDAY, 8, dt.UTC)],
    B: DAY_SLOTS,  # the cancelled occurrence
    C: [t for t in DAY_SLOTS if t != dt.time(10)],  # after the clock change: still 10:00 local
    D: [t for t in DAY_SLOTS if t != dt.time(10)],
}


def offered_times(gateway, headers, service, day: dt.date) -> list[dt.time]:
    """The start times (Madrid) of the slots offered for `service` on `day`, asked over HTTP."""
    response = gateway.get(f"/availability/slots?service_id={service.id}&date={day.isoformat()}",
                           headers=headers)
    assert response.status_code == 200, response.json
    return [dt.datetime.fromisoformat(slot["start_datetime"]).astimezone(MADRID).time()
            for slot in response.json["slots"]]
