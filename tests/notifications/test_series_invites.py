"""The e-mails of a weekly series carry calendar files that expand to exactly the booked occurrences: one
confirmation (RRULE, EXDATE for a skipped week), a changed occurrence (RECURRENCE-ID, higher SEQUENCE), a
change to the following ones (the series again, with its moved occurrences), a cancelled series
(METHOD:CANCEL of its UID). Parsed with icalendar and expanded with recurring-ical-events."""

from __future__ import annotations

import datetime as dt

import recurring_ical_events
from icalendar import Calendar
from sqlalchemy import select

from shared.appointments.status import cancel
from shared.appointments.update import update
from shared.db import unit_of_work
from shared.models import Appointment, Notification
from shared.notifications.service import deliver

from .conftest import ses_sent_messages
from .outbox_support import T0, calendars, parse
from .series_support import MADRID, book_twelve_weeks, in_one, week, week_nine_taken


def _sent_calendars(notification_id: int):
    """The calendar of the e-mail a notification row became (inline and attached agree)."""
    before = len(ses_sent_messages())
    assert deliver(notification_id, now=T0).status == "sent"
    sent = ses_sent_messages()
    assert len(sent) == before + 1
    inline, attached = calendars(parse(sent[-1].raw_data))
    assert inline.to_ical() == attached.to_ical()
    return inline


def _new_notifications(seen: set[int]) -> list[Notification]:
    with unit_of_work() as work:
        found = [n for n in work.session.scalars(select(Notification).order_by(Notification.id))
                 if n.id not in seen]
        work.session.expunge_all()
    seen.update(n.id for n in found)
    return found


def _expand(*calendars_):
    merged = Calendar.from_ical(calendars_[0].to_ical())  # a copy: the file as sent stays as it is
    for extra in calendars_[1:]:
        for component in extra.walk("VEVENT"):
            merged.add_component(component)
    events = recurring_ical_events.of(merged).between(dt.datetime(2027, 1, 1), dt.datetime(2029, 1, 1))
    return sorted(event.start.astimezone(dt.UTC) for event in events)


def _booked_starts(series_id: int) -> list[dt.datetime]:
    with unit_of_work() as work:
        return sorted(a.start_datetime for a in work.session.scalars(
            select(Appointment).where(Appointment.series_id == series_id, Appointment.status.in_(
                ("pending", "confirmed")))))


def test_the_series_files_expand_to_exactly_the_booked_occurrences(ses, uow, professional):
    actor, service_id, client_id = week_nine_taken(uow, professional)
    seen: set[int] = set()
    _new_notifications(seen)

    # One confirmation for the whole series, week 9 skipped.
    series = book_twelve_weeks(actor, service_id, client_id)
    [confirmation] = _new_notifications(seen)
    master = _sent_calendars(confirmation.id)
    assert str(master["METHOD"]) == "REQUEST"
    [vevent] = master.walk("VEVENT")
    assert str(vevent["UID"]) == f"appointment-series-{series.id}@agenda" and "RRULE" in vevent
    booked = _booked_starts(series.id)
    assert len(booked) == 11 and week(9) not in booked
    assert _expand(master) == booked
    assert {moment.astimezone(MADRID).time() for moment in _expand(master)} == {dt.time(18)}

    # One occurrence moved alone: its own VEVENT with RECURRENCE-ID and a higher SEQUENCE.
    third = series.appointments[2]
    in_one(update, actor=actor, appointment_id=third.id, now=T0,
            appointment_in={"start_datetime": week(3, hour=20)})
    [moved] = _new_notifications(seen)
    change = _sent_calendars(moved.id)
    [changed] = change.walk("VEVENT")
    assert str(changed["UID"]) == f"appointment-series-{series.id}@agenda"
    assert changed.decoded("RECURRENCE-ID") == week(3)
    assert int(changed["SEQUENCE"]) > int(vevent["SEQUENCE"])
    assert _expand(master, change) == _booked_starts(series.id)  # the confirmation, plus the change

    # This and the following ones (from week 6) an hour earlier: the series again, as it now stands.
    in_one(update, actor=actor, appointment_id=series.appointments[5].id, scope="following", now=T0,
            appointment_in={"start_datetime": week(6, hour=17)})
    [following] = _new_notifications(seen)
    current = _sent_calendars(following.id)
    now_booked = _booked_starts(series.id)
    assert week(8, hour=17) in now_booked and week(3, hour=20) in now_booked  # across DST, in Madrid
    assert _expand(current) == now_booked
    assert int(current.walk("VEVENT")[0]["SEQUENCE"]) > int(vevent["SEQUENCE"])

    # Cancelling the series: METHOD:CANCEL for its UID.
    in_one(cancel, actor=actor, appointment_id=series.appointments[0].id, scope="all", now=T0)
    [cancelled] = _new_notifications(seen)
    gone = _sent_calendars(cancelled.id)
    assert str(gone["METHOD"]) == "CANCEL"
    [cancel_event] = gone.walk("VEVENT")
    assert str(cancel_event["UID"]) == f"appointment-series-{series.id}@agenda"
    assert "RECURRENCE-ID" not in cancel_event and str(cancel_event["STATUS"]) == "CANCELLED"
