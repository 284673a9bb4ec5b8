"""Calendar invitations parse back as RFC 5545 with the fields calendars rely on."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from shared.notifications.calendar import ICS_METHOD_BY_KIND, appointment_uid, build_ics

MADRID_SUMMER = timezone(timedelta(hours=2))


def _invite(**overrides) -> bytes:
    start = datetime(2027, 3, 29, 9, 0, tzinfo=MADRID_SUMMER)
    arguments = {
        "method": "REQUEST", "uid": appointment_uid(42), "sequence": 0, "start": start,
        "end": start + timedelta(minutes=50), "summary": "Terapia individual — Ana López",
        "description": "Cita con Ana López.\nGestionar: https://agenda.example/manage/t",
        "location": "Calle Mayor 1, Madrid", "organizer_email": "ana@example.com",
        "organizer_name": "Ana López", "attendee_email": "lucia@example.com", "attendee_name": "Lucía",
        "stamp": datetime(2027, 3, 1, 12, 0, tzinfo=UTC),
    }
    return build_ics(**(arguments | overrides))


def test_request_has_method_uid_sequence_utc_times_and_status():
    raw = _invite()
    calendar = Calendar.from_ical(raw)
    (event,) = calendar.events

    assert str(calendar["METHOD"]) == "REQUEST" and str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"])
    assert str(event["UID"]) == "appointment-42@agenda"
    assert int(event["SEQUENCE"]) == 0
    assert event.start == datetime(2027, 3, 29, 7, 0, tzinfo=UTC) and event.start.utcoffset() == timedelta(0)
    assert event.end == datetime(2027, 3, 29, 7, 50, tzinfo=UTC)
    assert b"DTSTART:20270329T070000Z" in raw and b"DTEND:20270329T075000Z" in raw
    assert b"DTSTAMP:20270301T120000Z" in raw
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:ana@example.com"
    assert event["ORGANIZER"].params["CN"] == "Ana López"
    assert str(event["ATTENDEE"]) == "mailto:lucia@example.com"
    assert str(event["LOCATION"]) == "Calle Mayor 1, Madrid"
    assert event["DESCRIPTION"].endswith("manage/t")


def test_cancel_keeps_uid_and_marks_event_cancelled():
    calendar = Calendar.from_ical(_invite(method="CANCEL", sequence=3, location=None))
    (event,) = calendar.events

    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == "appointment-42@agenda"
    assert int(event["SEQUENCE"]) == 3
    assert str(event["STATUS"]) == "CANCELLED"
    assert "LOCATION" not in event


def test_lines_end_with_crlf():
    raw = _invite()
    assert raw.count(b"\r\n") == raw.count(b"\n")


@pytest.mark.parametrize("overrides", [
    {"method": "PUBLISH"},
    {"start": datetime(2027, 3, 29, 9, 0)},
    {"stamp": datetime(2027, 3, 1, 12, 0)},
])
def test_bad_method_or_naive_times_are_refused(overrides):
    with pytest.raises(ValueError):
        _invite(**overrides)


def test_client_confirmations_invite_and_cancellations_cancel():
    assert ICS_METHOD_BY_KIND["booking_confirmation"] == "REQUEST"
    assert ICS_METHOD_BY_KIND["cancelled_by_professional"] == "CANCEL"
    assert "new_booking" not in ICS_METHOD_BY_KIND
