"""iCalendar (RFC 5545) invitations and cancellations for one appointment."""

from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress

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


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("calendar times must be timezone-aware")
    return moment.astimezone(UTC)


def appointment_event(*, uid: str, sequence: int, start: datetime, end: datetime, summary: str,
                      status: str, stamp: datetime, description: str | None = None,
                      location: str | None = None) -> Event:
    """The VEVENT of an appointment, as invitations and the calendar feed both write it (UTC times)."""
    event = Event()
    event.add("uid", uid)
    event.add("sequence", int(sequence))
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(start))
    event.add("dtend", _utc(end))
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
              attendee_email: str, attendee_name: str, stamp: datetime) -> bytes:
    """One VEVENT in a VCALENDAR; `sequence` must grow with every change sent for the same `uid`."""
    if method not in METHODS:
        raise ValueError(f"method must be REQUEST or CANCEL, got {method!r}")
    event = appointment_event(uid=uid, sequence=sequence, start=start, end=end, summary=summary,
                              status=METHODS[method], stamp=stamp, description=description,
                              location=location)
    event["organizer"] = vCalAddress.new(organizer_email, cn=organizer_name)
    event.add("attendee", vCalAddress.new(attendee_email, cn=attendee_name, role="REQ-PARTICIPANT",
                                          partstat="ACCEPTED", rsvp=False))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(event)
    return calendar.to_ical()
