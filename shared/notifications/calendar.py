"""iCalendar (RFC 5545) invitations and cancellations for one appointment or a weekly series."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vRecur

PRODID = "-//Agenda//Agenda appointments//EN"
METHODS = {"REQUEST": "CONFIRMED", "CANCEL": "CANCELLED"}
# Which client e-mails carry an invitation, and with which method (professional e-mails carry none).
ICS_METHOD_BY_KIND = {
    "booking_confirmation": "REQUEST",
    "request_accepted": "REQUEST",
    "rescheduled": "REQUEST",
    "cancelled_by_professional": "CANCEL",
    "cancellation_confirmation": "CANCEL",
}


def appointment_uid(appointment_id: int) -> str:
    """The UID every invitation for this appointment shares, so calendars update one event."""
    return f"appointment-{int(appointment_id)}@agenda"


def series_uid(series_id: int) -> str:
    """The UID of a weekly series; one occurrence is addressed by it plus its RECURRENCE-ID."""
    return f"appointment-series-{int(series_id)}@agenda"


@dataclass(frozen=True)
class WeeklyRule:
    """A series as calendars repeat it: every N weeks, `count` times, less the `excluded` starts."""

    every_weeks: int
    count: int
    excluded: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class Override:
    """One occurrence of a series that no longer keeps its place: moved from `recurrence_id` (its start in
    the pattern) to [start, end), with its own SEQUENCE."""

    recurrence_id: datetime
    start: datetime
    end: datetime
    sequence: int


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("calendar times must be timezone-aware")
    return moment.astimezone(UTC)


def appointment_event(*, uid: str, sequence: int, start: datetime, end: datetime, summary: str,
                      status: str, stamp: datetime, description: str | None = None,
                      location: str | None = None, zone: ZoneInfo | None = None,
                      rule: WeeklyRule | None = None, recurrence_id: datetime | None = None) -> Event:
    """The VEVENT of an appointment, as invitations and the calendar feed both write it.

    Times are UTC, except with a `zone`: a series (`rule`) or one of its occurrences (`recurrence_id`,
    its original start) is written in the professional's zone, so calendars repeat it at the same
    wall-clock time across DST changes.
    """
    def when(moment: datetime) -> datetime:
        return _utc(moment).astimezone(zone) if zone is not None else _utc(moment)

    event = Event()
    event.add("uid", uid)
    event.add("sequence", int(sequence))
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", when(start))
    event.add("dtend", when(end))
    if rule is not None:
        event.add("rrule", vRecur(freq="WEEKLY", interval=rule.every_weeks, count=rule.count))
        for moment in rule.excluded:
            event.add("exdate", when(moment))
    if recurrence_id is not None:
        event.add("recurrence-id", when(recurrence_id))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    event.add("status", status)
    event.add("transp", "OPAQUE")
    return event


def build_ics(*, method: str, uid: str, sequence: int, start: datetime, end: datetime, summary: str,
              description: str, location: str | None = None, organizer_email: str, organizer_name: str,
              attendee_email: str, attendee_name: str, stamp: datetime, timezone: str | None = None,
              rule: WeeklyRule | None = None, recurrence_id: datetime | None = None,
              overrides: tuple[Override, ...] = ()) -> bytes:
    """One VEVENT in a VCALENDAR; `sequence` must grow with every change sent for the same `uid`.

    A series or one of its occurrences needs the professional's `timezone` (written with a VTIMEZONE).
    A series (`rule`) may carry `overrides`: one more VEVENT (same UID, a RECURRENCE-ID) per moved
    occurrence, so the file stands for the series exactly as it is.
    """
    if method not in METHODS:
        raise ValueError(f"method must be REQUEST or CANCEL, got {method!r}")
    if (rule is not None or recurrence_id is not None) and not timezone:
        raise ValueError("a series is written in the professional's time zone")
    zone = ZoneInfo(timezone) if (rule is not None or recurrence_id is not None) else None
    event = appointment_event(uid=uid, sequence=sequence, start=start, end=end, summary=summary,
                              status=METHODS[method], stamp=stamp, description=description,
                              location=location, zone=zone, rule=rule, recurrence_id=recurrence_id)
    event["organizer"] = vCalAddress.new(organizer_email, cn=organizer_name)
    event.add("attendee", vCalAddress.new(attendee_email, cn=attendee_name, role="REQ-PARTICIPANT",
                                          partstat="ACCEPTED", rsvp=False))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(event)
    for moved in overrides:
        calendar.add_component(appointment_event(
            uid=uid, sequence=moved.sequence, start=moved.start, end=moved.end, summary=summary,
            status=METHODS[method], stamp=stamp, description=description, location=location, zone=zone,
            recurrence_id=moved.recurrence_id))
    if zone is not None:
        calendar.add_missing_timezones()
    return calendar.to_ical()
