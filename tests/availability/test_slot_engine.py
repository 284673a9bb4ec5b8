"""Slot engine rules, one at a time, including daylight-saving days in three zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.availability.slot_engine import DatedBlock, Interval, Slot, WeeklyBlock, compute_slots, present

MADRID = "Europe/Madrid"
NEW_YORK = "America/New_York"
SANTIAGO = "America/Santiago"
MONDAY = date(2027, 6, 7)
LONG_AGO = datetime(2027, 1, 1, tzinfo=UTC)


def slots(*, day: date = MONDAY, blocks=((9, 13),), **overrides) -> list[Slot]:
    """Slots of one local day with whole-hour dated blocks, far from now; any argument can be overridden."""
    arguments = {
        "timezone": MADRID, "date_from": day, "date_to": day, "weekly_blocks": [],
        "dated_blocks": [DatedBlock(day, time(start), time(end % 24)) for start, end in blocks],
        "duration_minutes": 60, "now": LONG_AGO, "booking_advance_days": 3650,
    }
    arguments.update(overrides)
    return compute_slots(**arguments)


def starts(found: list[Slot]) -> list[str]:
    """Local wall-clock starts, e.g. '09:30'."""
    return [slot.start.strftime("%H:%M") for slot in found]


def spans(found: list[Slot]) -> list[str]:
    """Local start and end with their UTC offsets, e.g. '01:00+01:00 03:00+02:00'."""
    return [f"{slot.start.isoformat()[11:]} {slot.end.isoformat()[11:]}" for slot in found]


def at(tz: str, *fields: int, fold: int = 0) -> datetime:
    return datetime(*fields, tzinfo=ZoneInfo(tz), fold=fold)


def elapsed(slot: Slot) -> timedelta:
    # Subtracting two datetimes that share a tzinfo gives wall-clock time, so compare in UTC.
    return slot.end.astimezone(UTC) - slot.start.astimezone(UTC)


# Grid and blocks


def test_block_gives_starts_from_its_start_stepping_by_the_duration():
    assert starts(slots()) == ["09:00", "10:00", "11:00", "12:00"]


def test_slots_are_aware_in_the_professionals_zone_and_last_the_duration():
    found = slots(duration_minutes=45)
    assert found[0] == Slot(at(MADRID, 2027, 6, 7, 9, 0), at(MADRID, 2027, 6, 7, 9, 45))
    assert {slot.start.tzinfo for slot in found} == {ZoneInfo(MADRID)}
    assert {elapsed(slot) for slot in found} == {timedelta(minutes=45)}


def test_interval_shorter_than_the_duration_gives_overlapping_slots():
    assert starts(slots(interval_minutes=30)) == [
        "09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:00"]


def test_interval_longer_than_the_duration_leaves_gaps_between_slots():
    assert starts(slots(duration_minutes=30, interval_minutes=90)) == ["09:00", "10:30", "12:00"]


def test_slot_must_end_inside_its_block():
    found = slots(dated_blocks=[DatedBlock(MONDAY, time(9), time(11, 30))])
    assert starts(found) == ["09:00", "10:00"]


def test_weekly_block_applies_to_its_weekday_only():
    found = slots(date_from=MONDAY, date_to=MONDAY + timedelta(days=6), dated_blocks=[],
                  weekly_blocks=[WeeklyBlock(2, time(9), time(11))])
    assert [slot.start for slot in found] == [at(MADRID, 2027, 6, 9, 9), at(MADRID, 2027, 6, 9, 10)]


def test_dated_block_adds_to_the_weekly_blocks_of_that_date_only():
    found = slots(date_from=MONDAY, date_to=MONDAY + timedelta(days=7),
                  weekly_blocks=[WeeklyBlock(0, time(9), time(10))],
                  dated_blocks=[DatedBlock(MONDAY, time(16), time(17))])
    assert [slot.start for slot in found] == [
        at(MADRID, 2027, 6, 7, 9), at(MADRID, 2027, 6, 7, 16), at(MADRID, 2027, 6, 14, 9)]


def test_overlapping_blocks_keep_their_own_grids_and_identical_starts_come_once():
    found = slots(weekly_blocks=[WeeklyBlock(0, time(9), time(12))],
                  dated_blocks=[DatedBlock(MONDAY, time(9), time(11)),
                                DatedBlock(MONDAY, time(9, 30), time(11, 30))])
    assert starts(found) == ["09:00", "09:30", "10:00", "10:30", "11:00"]


def test_slot_spanning_two_adjacent_blocks_is_not_offered():
    found = slots(interval_minutes=30, dated_blocks=[DatedBlock(MONDAY, time(9), time(10, 30)),
                                                     DatedBlock(MONDAY, time(10, 30), time(12))])
    assert starts(found) == ["09:00", "09:30", "10:30", "11:00"]


def test_block_ending_at_midnight_runs_to_the_end_of_its_date():
    found = slots(blocks=((22, 24),))
    assert spans(found) == ["22:00:00+02:00 23:00:00+02:00", "23:00:00+02:00 00:00:00+02:00"]
    assert found[-1].end == at(MADRID, 2027, 6, 8, 0)


def test_date_range_is_inclusive_of_both_ends():
    found = slots(date_from=MONDAY, date_to=MONDAY + timedelta(days=2), dated_blocks=[],
                  weekly_blocks=[WeeklyBlock(weekday, time(9), time(10)) for weekday in range(7)])
    assert [slot.start.date() for slot in found] == [MONDAY + timedelta(days=n) for n in range(3)]


def test_empty_or_reversed_range_gives_no_slots():
    assert slots(date_from=MONDAY, date_to=MONDAY - timedelta(days=1)) == []


# Busy time


def test_time_off_removes_the_slots_it_intersects():
    found = slots(time_off=[Interval(at(MADRID, 2027, 6, 7, 10, 30), at(MADRID, 2027, 6, 7, 11, 15))])
    assert starts(found) == ["09:00", "12:00"]


def test_appointment_is_widened_by_the_buffer_on_both_sides():
    appointment = Interval(at(MADRID, 2027, 6, 7, 11), at(MADRID, 2027, 6, 7, 12))
    assert starts(slots(interval_minutes=15, appointments=[appointment], buffer_minutes=0)) == [
        "09:00", "09:15", "09:30", "09:45", "10:00", "12:00"]
    # Busy 10:45-12:15 now: 12:15 would end after the block.
    assert starts(slots(interval_minutes=15, appointments=[appointment], buffer_minutes=15)) == [
        "09:00", "09:15", "09:30", "09:45"]


def test_buffer_does_not_widen_time_off():
    off = Interval(at(MADRID, 2027, 6, 7, 10), at(MADRID, 2027, 6, 7, 11))
    assert starts(slots(time_off=[off], buffer_minutes=30)) == ["09:00", "11:00", "12:00"]


def test_slot_fits_exactly_between_two_appointments():
    appointments = [Interval(at(MADRID, 2027, 6, 7, 9), at(MADRID, 2027, 6, 7, 10)),
                    Interval(at(MADRID, 2027, 6, 7, 11), at(MADRID, 2027, 6, 7, 12))]
    assert starts(slots(appointments=appointments)) == ["10:00", "12:00"]
    # Any buffer closes the gap: both neighbours now reach into it.
    assert starts(slots(appointments=appointments, buffer_minutes=1)) == []


def test_touching_and_overlapping_busy_times_block_their_whole_union():
    day = (2027, 6, 7)
    found = slots(duration_minutes=15,
                  time_off=[Interval(at(MADRID, *day, 9), at(MADRID, *day, 10)),
                            Interval(at(MADRID, *day, 10), at(MADRID, *day, 11))],
                  appointments=[Interval(at(MADRID, *day, 10, 30), at(MADRID, *day, 11, 30)),
                                Interval(at(MADRID, *day, 10, 45), at(MADRID, *day, 11, 15))])
    # The appointment nested in another must not cut the union short at 11:15.
    assert starts(found) == ["11:30", "11:45", "12:00", "12:15", "12:30", "12:45"]


def test_busy_times_in_any_offset_are_compared_as_instants():
    in_new_york = Interval(at(NEW_YORK, 2027, 6, 7, 4), at(NEW_YORK, 2027, 6, 7, 5))  # 10:00-11:00 in Madrid
    assert starts(slots(appointments=[in_new_york])) == ["09:00", "11:00", "12:00"]


def test_cancelled_appointments_are_simply_not_passed_and_free_their_slot():
    assert starts(slots(appointments=[])) == ["09:00", "10:00", "11:00", "12:00"]


# Notice and horizon


def test_nothing_starts_before_now_plus_minimum_notice():
    now = at(MADRID, 2027, 6, 7, 8, 10)
    assert starts(slots(now=now, minimum_notice_minutes=60)) == ["10:00", "11:00", "12:00"]
    # The boundary is inclusive: a slot may start exactly at now + notice.
    assert starts(slots(now=now, minimum_notice_minutes=50)) == ["09:00", "10:00", "11:00", "12:00"]


def test_without_notice_a_slot_already_started_is_not_offered():
    assert starts(slots(now=at(MADRID, 2027, 6, 7, 10, 1))) == ["11:00", "12:00"]


def test_horizon_ends_with_the_local_day_booking_advance_days_after_today():
    weekly = [WeeklyBlock(weekday, time(9), time(10)) for weekday in range(7)] + [
        WeeklyBlock(weekday, time(23), time(0)) for weekday in range(7)]
    found = slots(date_from=MONDAY, date_to=MONDAY + timedelta(days=10), dated_blocks=[],
                  weekly_blocks=weekly, now=at(MADRID, 2027, 6, 7, 7), booking_advance_days=2)
    assert [slot.start for slot in found][-2:] == [at(MADRID, 2027, 6, 9, 9), at(MADRID, 2027, 6, 9, 23)]
    assert len(found) == 6


def test_today_is_the_professionals_local_date_not_the_utc_date():
    # 22:30 UTC on the 6th is already 00:30 on the 7th in Madrid, so the horizon counts from the 7th.
    now = datetime(2027, 6, 6, 22, 30, tzinfo=UTC)
    found = slots(date_from=MONDAY, date_to=MONDAY + timedelta(days=5), dated_blocks=[],
                  weekly_blocks=[WeeklyBlock(weekday, time(9), time(10)) for weekday in range(7)],
                  now=now, booking_advance_days=1)
    assert [slot.start.date() for slot in found] == [date(2027, 6, 7), date(2027, 6, 8)]


def test_zero_advance_days_allows_only_the_rest_of_today():
    found = slots(date_from=MONDAY, date_to=MONDAY + timedelta(days=1), dated_blocks=[],
                  weekly_blocks=[WeeklyBlock(weekday, time(9), time(13)) for weekday in range(7)],
                  now=at(MADRID, 2027, 6, 7, 10, 30), booking_advance_days=0)
    assert [slot.start for slot in found] == [at(MADRID, 2027, 6, 7, 11), at(MADRID, 2027, 6, 7, 12)]


def test_dates_before_today_give_nothing():
    found = slots(date_from=MONDAY - timedelta(days=7), date_to=MONDAY, dated_blocks=[],
                  weekly_blocks=[WeeklyBlock(0, time(9), time(10))], now=at(MADRID, 2027, 6, 7, 0, 5))
    assert [slot.start for slot in found] == [at(MADRID, 2027, 6, 7, 9)]


# Invalid input


@pytest.mark.parametrize("overrides", [
    {"now": datetime(2027, 6, 7, 8)},
    {"appointments": [Interval(datetime(2027, 6, 7, 9), datetime(2027, 6, 7, 10))]},
    {"time_off": [Interval(datetime(2027, 6, 7, 9), datetime(2027, 6, 7, 10))]},
    {"duration_minutes": 0},
    {"interval_minutes": 0},
    {"buffer_minutes": -5},
    {"minimum_notice_minutes": -1},
    {"booking_advance_days": -1},
])
def test_naive_datetimes_and_impossible_numbers_are_rejected(overrides):
    with pytest.raises(ValueError, match=r"naive|positive|negative"):
        slots(**overrides)


# Daylight saving time: Europe/Madrid (2027-03-28 02:00 -> 03:00, 2027-10-31 03:00 -> 02:00)


def test_madrid_office_hours_keep_their_wall_clock_times_across_spring_forward():
    found = slots(date_from=date(2027, 3, 27), date_to=date(2027, 3, 28), dated_blocks=[],
                  weekly_blocks=[WeeklyBlock(5, time(9), time(13)), WeeklyBlock(6, time(9), time(13))])
    assert spans(found) == [f"{h:02}:00:00+01:00 {h + 1:02}:00:00+01:00" for h in range(9, 13)] + [
        f"{h:02}:00:00+02:00 {h + 1:02}:00:00+02:00" for h in range(9, 13)]


def test_madrid_block_across_the_spring_forward_gap_skips_missing_starts():
    found = slots(day=date(2027, 3, 28), blocks=((1, 4),))
    # 02:00 does not exist; 01:00 plus one elapsed hour is 03:00 on the clock.
    assert spans(found) == ["01:00:00+01:00 03:00:00+02:00", "03:00:00+02:00 04:00:00+02:00"]
    assert {elapsed(slot) for slot in found} == {timedelta(hours=1)}


def test_madrid_half_hour_grid_across_the_gap_offers_only_existing_starts():
    found = slots(day=date(2027, 3, 28), blocks=((1, 4),), duration_minutes=30)
    assert starts(found) == ["01:00", "01:30", "03:00", "03:30"]


def test_madrid_missing_start_is_dropped_not_moved_to_the_next_existing_time():
    # On a 45-minute grid, 02:30 does not exist; it must not turn into an off-grid 03:30 slot.
    found = slots(day=date(2027, 3, 28), blocks=((1, 5),), duration_minutes=45)
    assert starts(found) == ["01:00", "01:45", "03:15", "04:00"]


def test_madrid_block_ending_inside_the_gap_ends_when_the_clock_jumps():
    day = date(2027, 3, 28)
    block = [DatedBlock(day, time(1), time(2, 30))]
    # The block lasts one elapsed hour (01:00 until the clock jumps to 03:00), not 90 minutes.
    assert spans(slots(day=day, dated_blocks=block, duration_minutes=60)) == ["01:00:00+01:00 03:00:00+02:00"]
    assert spans(slots(day=day, dated_blocks=block, duration_minutes=30)) == [
        "01:00:00+01:00 01:30:00+01:00", "01:30:00+01:00 03:00:00+02:00"]
    assert slots(day=day, dated_blocks=block, duration_minutes=90) == []


def test_madrid_block_starting_inside_the_gap_starts_on_its_grid_after_the_jump():
    day = date(2027, 3, 28)
    found = slots(day=day, dated_blocks=[DatedBlock(day, time(2, 30), time(5))])
    assert spans(found) == ["03:30:00+02:00 04:30:00+02:00"]


def test_madrid_fall_back_offers_each_wall_clock_start_once_at_its_first_occurrence():
    found = slots(day=date(2027, 10, 31), blocks=((1, 4),))
    assert spans(found) == ["01:00:00+02:00 02:00:00+02:00", "02:00:00+02:00 02:00:00+01:00",
                            "03:00:00+01:00 04:00:00+01:00"]
    assert (found[1].start.fold, found[1].end.fold) == (0, 1)
    assert found[1].start.astimezone(UTC) == datetime(2027, 10, 31, 0, 0, tzinfo=UTC)
    assert {elapsed(slot) for slot in found} == {timedelta(hours=1)}


def test_madrid_block_ending_at_an_ambiguous_time_ends_at_its_first_occurrence():
    day = date(2027, 10, 31)
    found = slots(day=day, dated_blocks=[DatedBlock(day, time(1), time(2, 30))], duration_minutes=30)
    assert spans(found) == ["01:00:00+02:00 01:30:00+02:00", "01:30:00+02:00 02:00:00+02:00",
                            "02:00:00+02:00 02:30:00+02:00"]


def test_madrid_office_hours_after_fall_back_use_winter_offset():
    found = slots(day=date(2027, 10, 31), blocks=((9, 11),))
    assert spans(found) == ["09:00:00+01:00 10:00:00+01:00", "10:00:00+01:00 11:00:00+01:00"]


def test_madrid_busy_time_in_the_repeated_hour_is_matched_by_instant():
    # An appointment during the SECOND 02:00-03:00 (CET) leaves the first one (CEST) free.
    second_pass = Interval(datetime(2027, 10, 31, 1, 0, tzinfo=UTC), datetime(2027, 10, 31, 2, 0, tzinfo=UTC))
    found = slots(day=date(2027, 10, 31), blocks=((1, 4),), appointments=[second_pass])
    assert spans(found) == ["01:00:00+02:00 02:00:00+02:00", "02:00:00+02:00 02:00:00+01:00",
                            "03:00:00+01:00 04:00:00+01:00"]
    first_pass = Interval(datetime(2027, 10, 31, 0, 0, tzinfo=UTC), datetime(2027, 10, 31, 1, 0, tzinfo=UTC))
    found = slots(day=date(2027, 10, 31), blocks=((1, 4),), appointments=[first_pass])
    assert starts(found) == ["01:00", "03:00"]


# Daylight saving time: America/New_York (2027-03-14 02:00 -> 03:00, 2027-11-07 02:00 -> 01:00)


def test_new_york_spring_forward_skips_two_oclock():
    found = slots(timezone=NEW_YORK, day=date(2027, 3, 14), blocks=((0, 4),))
    assert spans(found) == ["00:00:00-05:00 01:00:00-05:00", "01:00:00-05:00 03:00:00-04:00",
                            "03:00:00-04:00 04:00:00-04:00"]


def test_new_york_fall_back_offers_one_oclock_once_in_daylight_time():
    found = slots(timezone=NEW_YORK, day=date(2027, 11, 7), blocks=((0, 4),))
    assert spans(found) == ["00:00:00-04:00 01:00:00-04:00", "01:00:00-04:00 01:00:00-05:00",
                            "02:00:00-05:00 03:00:00-05:00", "03:00:00-05:00 04:00:00-05:00"]


# Daylight saving time: America/Santiago, where the clocks change at midnight


def test_santiago_2027_transitions_are_at_midnight():
    zone = ZoneInfo(SANTIAGO)
    # 2027-09-05 00:00 does not exist: it round-trips to 01:00.
    assert datetime(2027, 9, 5, 0, 0, tzinfo=zone).astimezone(UTC).astimezone(zone).hour == 1
    # 2027-04-03 23:30 happens twice: at -03:00 and then at -04:00.
    first, second = (datetime(2027, 4, 3, 23, 30, tzinfo=zone, fold=fold) for fold in (0, 1))
    assert (first.utcoffset(), second.utcoffset()) == (timedelta(hours=-3), timedelta(hours=-4))


def test_santiago_block_starting_at_a_missing_midnight_starts_at_one():
    found = slots(timezone=SANTIAGO, day=date(2027, 9, 5), blocks=((0, 3),))
    assert spans(found) == ["01:00:00-03:00 02:00:00-03:00", "02:00:00-03:00 03:00:00-03:00"]
    found = slots(timezone=SANTIAGO, day=date(2027, 9, 5), blocks=((0, 2),), duration_minutes=30)
    assert starts(found) == ["01:00", "01:30"]


def test_santiago_block_ending_at_a_missing_midnight_ends_when_the_clock_jumps():
    found = slots(timezone=SANTIAGO, day=date(2027, 9, 4), blocks=((22, 24),))
    assert spans(found) == ["22:00:00-04:00 23:00:00-04:00", "23:00:00-04:00 01:00:00-03:00"]
    assert found[-1].end == datetime(2027, 9, 5, 4, 0, tzinfo=UTC)


def test_santiago_repeated_late_hour_is_offered_once_at_its_first_occurrence():
    found = slots(timezone=SANTIAGO, day=date(2027, 4, 3), blocks=((22, 24),))
    assert spans(found) == ["22:00:00-03:00 23:00:00-03:00", "23:00:00-03:00 23:00:00-04:00"]


def test_santiago_block_to_midnight_on_fall_back_day_lasts_three_elapsed_hours():
    # 22:00-24:00 on the clock runs from 01:00 to 04:00 UTC because 23:00-24:00 happens twice.
    found = slots(timezone=SANTIAGO, day=date(2027, 4, 3), blocks=((22, 24),), duration_minutes=120,
                  interval_minutes=60)
    in_utc = [(slot.start.astimezone(UTC).hour, slot.end.astimezone(UTC).hour) for slot in found]
    assert in_utc == [(1, 3), (2, 4)]
    assert spans(found) == ["22:00:00-03:00 23:00:00-04:00", "23:00:00-03:00 00:00:00-04:00"]


# Presentation in the client's zone


def test_madrid_slots_are_presented_in_new_york_time():
    found = slots(blocks=((10, 11),))
    shown = present(found, NEW_YORK)
    assert shown == [Slot(at(NEW_YORK, 2027, 6, 7, 4), at(NEW_YORK, 2027, 6, 7, 5))]
    assert shown[0].start.tzinfo == ZoneInfo(NEW_YORK)
    assert shown == found  # the same instants


def test_presenting_during_the_weeks_only_one_zone_has_changed_uses_each_zones_offset():
    # New York moved its clocks on 2027-03-14, Madrid only on the 28th: five hours apart, not six.
    shown = present(slots(day=date(2027, 3, 22), blocks=((10, 11),)), NEW_YORK)
    assert [slot.start.isoformat() for slot in shown] == ["2027-03-22T05:00:00-04:00"]


def test_presenting_in_the_same_zone_changes_nothing():
    found = slots()
    assert [tuple(map(datetime.isoformat, slot)) for slot in present(found, MADRID)] == [
        tuple(map(datetime.isoformat, slot)) for slot in found]


def test_dump_slots_writes_what_the_slots_read_schema_writes():
    from shared.availability.schemas import SlotsRead, dump_slots

    zone = ZoneInfo("America/Santiago")
    found = [Slot(datetime(2027, 4, 3, 23, 0, tzinfo=zone), datetime(2027, 4, 4, 0, 0, tzinfo=zone)),
             Slot(datetime(2027, 4, 4, 9, 30, 15, 500, tzinfo=UTC), datetime(2027, 4, 4, 10, 30, tzinfo=UTC))]
    result = {"service_id": 7, "timezone": "America/Santiago", "slots": found}

    assert dump_slots(result) == SlotsRead().dump(result)
