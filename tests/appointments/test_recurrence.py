"""Weekly series: occurrences keep their local wall-clock time, and the .ics repeats exactly them."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar

from shared.appointments.recurrence import occurrences, occurrences_until_overflow
from shared.notifications.calendar import WeeklyRule, build_ics, series_uid

MADRID = ZoneInfo("Europe/Madrid")
SANTIAGO = ZoneInfo("America/Santiago")
HOUR = dt.timedelta(hours=1)


def _series(zone, first_local, **bounds):
    return occurrences(first_start=first_local.replace(tzinfo=zone), duration=HOUR, zone=zone, **bounds)


@pytest.mark.parametrize(("zone", "first_local"), [
    # Madrid leaves summer time on 2026-10-25; Santiago enters it on 2026-09-06.
    (MADRID, dt.datetime(2026, 10, 1, 18, 0)),
    (SANTIAGO, dt.datetime(2026, 8, 13, 9, 30)),
])
def test_twelve_week_series_keeps_local_time_across_dst(zone, first_local):
    series = _series(zone, first_local, every_weeks=1, count=12)

    assert len(series) == 12
    offsets = set()
    for index, occurrence in enumerate(series):
        local = occurrence.start.astimezone(zone)
        assert local.replace(tzinfo=None) == first_local + dt.timedelta(weeks=index)
        assert occurrence.end - occurrence.start == HOUR
        offsets.add(local.utcoffset())
    assert len(offsets) == 2, "the series must cross a DST change for this test to mean anything"


def test_every_two_weeks_until_a_date_is_inclusive():
    series = _series(MADRID, dt.datetime(2026, 3, 2, 10, 0), every_weeks=2, until=dt.date(2026, 4, 13))

    assert [o.start.astimezone(MADRID).date() for o in series] == [
        dt.date(2026, 3, 2), dt.date(2026, 3, 16), dt.date(2026, 3, 30), dt.date(2026, 4, 13)]
    assert [o.start.astimezone(MADRID).hour for o in series] == [10, 10, 10, 10]


def test_until_never_gives_more_than_fifty_two_occurrences():
    first = dt.datetime(2026, 1, 5, 10, 0, tzinfo=MADRID)
    far = dt.date(2028, 1, 1)

    assert len(occurrences(first_start=first, duration=HOUR, zone=MADRID, every_weeks=1, until=far)) == 52
    assert occurrences_until_overflow(first_start=first, zone=MADRID, every_weeks=1, until=far)
    assert not occurrences_until_overflow(first_start=first, zone=MADRID, every_weeks=1,
                                          until=dt.date(2026, 12, 28))


def test_count_and_until_are_exclusive():
    first = dt.datetime(2026, 1, 5, 10, 0, tzinfo=MADRID)
    with pytest.raises(ValueError):
        occurrences(first_start=first, duration=HOUR, zone=MADRID, every_weeks=1)
    with pytest.raises(ValueError):
        occurrences(first_start=first, duration=HOUR, zone=MADRID, every_weeks=1, count=3,
                    until=dt.date(2026, 3, 1))


def _invite(series, *, excluded=(), zone="Europe/Madrid", **extra):
    return build_ics(
        method="REQUEST", uid=series_uid(7), sequence=0, start=series[0].start, end=series[0].end,
        summary="Therapy", description="Weekly session", organizer_email="pro@agenda.example",
        organizer_name="Ana", attendee_email="client@agenda.example", attendee_name="Luis",
        stamp=dt.datetime(2026, 9, 1, tzinfo=dt.UTC), timezone=zone,
        rule=WeeklyRule(every_weeks=1, count=len(series), excluded=tuple(excluded)), **extra)


@pytest.mark.parametrize(("zone", "first_local"), [
    (MADRID, dt.datetime(2026, 10, 1, 18, 0)),
    (SANTIAGO, dt.datetime(2026, 8, 13, 9, 30)),
])
def test_series_invite_expands_to_exactly_the_booked_occurrences(zone, first_local):
    series = _series(zone, first_local, every_weeks=1, count=12)
    skipped = [series[8].start]  # week 9 was taken, so it is not booked
    booked = {o.start for o in series} - set(skipped)

    calendar = Calendar.from_ical(_invite(series, excluded=skipped, zone=zone.key))
    expanded = recurring_ical_events.of(calendar).between(dt.datetime(2026, 1, 1), dt.datetime(2028, 1, 1))

    assert {event.start.astimezone(dt.UTC) for event in expanded} == booked
    assert {event.start.astimezone(zone).time() for event in expanded} == {first_local.time()}
    assert calendar.walk("VTIMEZONE"), "a series needs its VTIMEZONE for calendars to honour DST"


def test_one_changed_occurrence_overrides_its_place_in_the_series():
    series = _series(MADRID, dt.datetime(2026, 10, 1, 18, 0), every_weeks=1, count=4)
    moved_start = series[2].start + dt.timedelta(hours=2)
    master = Calendar.from_ical(_invite(series))
    change = Calendar.from_ical(build_ics(
        method="REQUEST", uid=series_uid(7), sequence=1, start=moved_start, end=moved_start + HOUR,
        summary="Therapy", description="Moved", organizer_email="pro@agenda.example", organizer_name="Ana",
        attendee_email="client@agenda.example", attendee_name="Luis",
        stamp=dt.datetime(2026, 9, 2, tzinfo=dt.UTC), timezone="Europe/Madrid",
        recurrence_id=series[2].start))
    for component in change.walk("VEVENT"):
        master.add_component(component)

    expanded = recurring_ical_events.of(master).between(dt.datetime(2026, 1, 1), dt.datetime(2027, 1, 1))

    assert sorted(event.start.astimezone(dt.UTC) for event in expanded) == [
        series[0].start, series[1].start, moved_start, series[3].start]
    assert int(change.walk("VEVENT")[0]["SEQUENCE"]) == 1
