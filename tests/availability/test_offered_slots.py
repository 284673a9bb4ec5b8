"""offered_slots / is_offered on the real database: every rule it loads, and a constant number of queries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, update

from shared.availability.service import is_offered, offered_slots
from shared.db import get_engine
from shared.models import Professional, ProfessionalSettings, Service, TimeOff
from tests.factories import make_appointment, make_block, make_client, make_service

MADRID = ZoneInfo("Europe/Madrid")
NOW = dt.datetime(2031, 6, 1, 0, 0, tzinfo=dt.UTC)  # a Sunday night in Madrid
MONDAY = dt.date(2031, 6, 2)
TUESDAY = MONDAY + dt.timedelta(days=1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), MADRID)


def starts(slots) -> list[str]:
    return [f"{slot.start.date():%m-%d} {slot.start:%H:%M}" for slot in slots]


@pytest.fixture
def pro(uow, open_professional):
    """The open professional with Monday 09:00-13:00 every week, loaded in the test's session."""
    make_block(uow.session, open_professional, weekday=0, start="09:00", end="13:00")
    uow.commit()
    return uow.session.get(Professional, open_professional.id)


@pytest.fixture
def therapy(uow, pro) -> Service:
    row = make_service(uow.session, pro, duration_minutes=60)
    uow.commit()
    return row


def settings(uow, pro, **values) -> None:
    uow.session.execute(update(ProfessionalSettings)
                        .where(ProfessionalSettings.professional_id == pro.id).values(**values))
    uow.commit()


def slots_on(uow, pro, service, day_from=MONDAY, day_to=MONDAY, now=NOW, **kwargs):
    return offered_slots(uow.session, professional=pro, service=service, date_from=day_from, date_to=day_to,
                         now=now, **kwargs)


def test_weekly_block_gives_slots_of_the_service_duration_in_local_time(uow, pro, therapy):
    found = slots_on(uow, pro, therapy, MONDAY, TUESDAY)

    assert starts(found) == ["06-02 09:00", "06-02 10:00", "06-02 11:00", "06-02 12:00"]
    assert found[0] == (at(MONDAY, 9), at(MONDAY, 10))
    assert found[0].start.utcoffset() == dt.timedelta(hours=2)


def test_slot_interval_setting_sets_the_grid(uow, pro, therapy):
    settings(uow, pro, slot_interval_minutes=30)

    assert starts(slots_on(uow, pro, therapy)) == ["06-02 09:00", "06-02 09:30", "06-02 10:00", "06-02 10:30",
                                                   "06-02 11:00", "06-02 11:30", "06-02 12:00"]


def test_appointments_that_are_pending_or_confirmed_take_their_time_cancelled_ones_do_not(uow, pro, therapy):
    client = make_client(uow.session, pro)
    make_appointment(uow.session, pro, service=therapy, client=client, start=at(MONDAY, 9), status="pending")
    make_appointment(uow.session, pro, service=therapy, client=client, start=at(MONDAY, 10))
    make_appointment(uow.session, pro, service=therapy, client=client, start=at(MONDAY, 11),
                     status="cancelled_by_client")
    make_appointment(uow.session, pro, service=therapy, client=client, start=at(MONDAY, 12),
                     status="cancelled_by_professional")
    uow.commit()

    assert starts(slots_on(uow, pro, therapy)) == ["06-02 11:00", "06-02 12:00"]


def test_buffer_keeps_time_free_around_appointments(uow, pro, therapy):
    settings(uow, pro, slot_interval_minutes=30, buffer_minutes=15)
    client = make_client(uow.session, pro)
    make_appointment(uow.session, pro, service=therapy, client=client, start=at(MONDAY, 10, 30))
    uow.commit()

    # Busy 10:15-11:45 with the buffer: 09:00 (ends 10:00) and 12:00 fit, 09:30 ends 10:30 and does not.
    assert starts(slots_on(uow, pro, therapy)) == ["06-02 09:00", "06-02 12:00"]


def test_minimum_notice_hides_slots_starting_too_soon(uow, pro, therapy):
    settings(uow, pro, minimum_notice_minutes=120)

    found = slots_on(uow, pro, therapy, now=at(MONDAY, 8, 30))

    assert starts(found) == ["06-02 11:00", "06-02 12:00"]


def test_booking_advance_days_limits_how_far_ahead(uow, pro, therapy):
    settings(uow, pro, booking_advance_days=7)  # today is Sunday June 1 in Madrid: up to Sunday June 8

    found = slots_on(uow, pro, therapy, MONDAY, MONDAY + dt.timedelta(days=14))

    assert {slot.start.date() for slot in found} == {MONDAY}


def test_time_off_removes_the_slots_it_covers_across_days(uow, pro, therapy):
    uow.session.add(TimeOff(professional_id=pro.id, start_datetime=at(MONDAY, 11, 30),
                            end_datetime=at(MONDAY + dt.timedelta(days=7), 10)))
    uow.commit()

    found = slots_on(uow, pro, therapy, MONDAY, MONDAY + dt.timedelta(days=7))

    assert starts(found) == ["06-02 09:00", "06-02 10:00", "06-09 10:00", "06-09 11:00", "06-09 12:00"]


def test_one_off_block_adds_slots_on_its_date_only(uow, pro, therapy):
    make_block(uow.session, pro, specific_date=TUESDAY, start="16:00", end="18:00")
    uow.commit()

    found = slots_on(uow, pro, therapy, TUESDAY, TUESDAY + dt.timedelta(days=7))

    assert starts(found) == ["06-03 16:00", "06-03 17:00", "06-09 09:00", "06-09 10:00", "06-09 11:00",
                             "06-09 12:00"]


def test_busy_time_starting_before_the_range_is_seen(uow, pro, therapy):
    make_block(uow.session, pro, specific_date=TUESDAY, start="00:00", end="02:00")
    client = make_client(uow.session, pro)
    make_appointment(uow.session, pro, service=therapy, client=client, start=at(MONDAY, 23, 30))
    uow.commit()

    assert starts(slots_on(uow, pro, therapy, TUESDAY, TUESDAY)) == ["06-03 01:00"]


def test_another_professionals_appointments_and_time_off_do_not_count(uow, pro, therapy, other_professional):
    theirs = make_service(uow.session, other_professional)
    client = make_client(uow.session, other_professional)
    make_appointment(uow.session, other_professional, service=theirs, client=client, start=at(MONDAY, 9))
    uow.session.add(TimeOff(professional_id=other_professional.id, start_datetime=at(MONDAY, 0),
                            end_datetime=at(TUESDAY, 0)))
    uow.commit()

    assert len(slots_on(uow, pro, therapy)) == 4


def test_inactive_service_or_professional_offers_nothing(uow, pro, therapy):
    retired = make_service(uow.session, pro, is_active=False)
    uow.commit()
    assert slots_on(uow, pro, retired) == []

    pro.is_active = False
    uow.commit()
    assert slots_on(uow, pro, therapy) == []


def test_a_service_of_another_professional_is_a_programming_error(uow, pro, other_professional):
    theirs = make_service(uow.session, other_professional)

    with pytest.raises(ValueError):
        slots_on(uow, pro, theirs)


def test_is_offered_only_for_the_exact_start_of_an_offered_slot(uow, pro, therapy):
    client = make_client(uow.session, pro)
    make_appointment(uow.session, pro, service=therapy, client=client, start=at(MONDAY, 10))
    uow.commit()

    def offered(start):
        return is_offered(uow.session, professional=pro, service=therapy, start=start, now=NOW)

    assert offered(at(MONDAY, 9))
    assert offered(at(MONDAY, 9).astimezone(ZoneInfo("America/New_York")))
    assert offered(at(MONDAY, 9).astimezone(dt.UTC))
    assert not offered(at(MONDAY, 9, 30))
    assert not offered(at(MONDAY, 10))
    assert not offered(at(MONDAY, 13))
    assert not offered(at(TUESDAY, 9))
    with pytest.raises(ValueError):
        offered(dt.datetime(2031, 6, 2, 9))


def test_an_appointment_can_be_ignored_to_reschedule_it_onto_its_own_time(uow, pro, therapy):
    client = make_client(uow.session, pro)
    booked = make_appointment(uow.session, pro, service=therapy, client=client, start=at(MONDAY, 10))
    uow.commit()

    assert not is_offered(uow.session, professional=pro, service=therapy, start=at(MONDAY, 10), now=NOW)
    assert is_offered(uow.session, professional=pro, service=therapy, start=at(MONDAY, 10), now=NOW,
                      ignore_appointment_id=booked.id)


def test_the_number_of_queries_does_not_grow_with_the_range(uow, pro, therapy):
    client = make_client(uow.session, pro)
    for week in range(9):
        monday = MONDAY + dt.timedelta(weeks=week)
        make_block(uow.session, pro, specific_date=monday + dt.timedelta(days=2), start="10:00", end="12:00")
        make_appointment(uow.session, pro, service=therapy, client=client, start=at(monday, 9))
        uow.session.add(TimeOff(professional_id=pro.id, start_datetime=at(monday, 12),
                                end_datetime=at(monday, 13)))
    uow.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        one_day = slots_on(uow, pro, therapy, MONDAY, MONDAY)
        after_one_day = len(statements)
        many_days = slots_on(uow, pro, therapy, MONDAY, MONDAY + dt.timedelta(days=61))
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert len(statements) - after_one_day == after_one_day == 2, statements  # rules, then one UNION ALL
    assert len(one_day) == 2  # 10:00 and 11:00 (09:00 booked, 12:00 time off)
    assert len(many_days) == 9 * (2 + 2)  # each week: Monday 10:00 and 11:00, Wednesday 10:00 and 11:00
