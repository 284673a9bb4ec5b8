"""Slot engine properties on random schedules around daylight-saving changes, against a brute-force model."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import accumulate
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.availability.slot_engine import DatedBlock, Interval, WeeklyBlock, compute_slots

# Per zone: its 2027 days whose clocks jump or repeat (Santiago's September gap is at the very start of
# the 5th, so the 4th's blocks ending at midnight end inside it), plus an ordinary day.
ANCHORS = {
    "Europe/Madrid": [date(2027, 3, 28), date(2027, 10, 31)],
    "America/New_York": [date(2027, 3, 14), date(2027, 11, 7)],
    "America/Santiago": [date(2027, 4, 3), date(2027, 9, 4), date(2027, 9, 5)],
}
ORDINARY_DAY = date(2027, 6, 15)
MINUTE = timedelta(minutes=1)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@dataclass(frozen=True)
class Scenario:
    timezone: str
    anchor: date
    date_from: date
    date_to: date
    weekly_blocks: list[WeeklyBlock]
    dated_blocks: list[DatedBlock]
    appointments: list[Interval]
    time_off: list[Interval]
    buffer_minutes: int
    duration_minutes: int
    interval_minutes: int | None
    now: datetime
    minimum_notice_minutes: int
    booking_advance_days: int

    def run(self):
        fields = dict(self.__dict__)
        del fields["anchor"]
        return compute_slots(**fields)

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=self.interval_minutes or self.duration_minutes)

    @property
    def busy(self) -> list[tuple[datetime, datetime]]:
        buffer = timedelta(minutes=self.buffer_minutes)
        widened = [(a.start - buffer, a.end + buffer) for a in self.appointments]
        return widened + [(t.start, t.end) for t in self.time_off]

    def blocks_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """Naive local wall-clock windows of a date; an end of 00:00 is the next midnight."""
        times = [(s, e) for w, s, e in self.weekly_blocks if w == day.weekday()]
        times += [(s, e) for d, s, e in self.dated_blocks if d == day]
        next_day = day + timedelta(days=1)
        return [(datetime.combine(day, s), datetime.combine(next_day if e == time(0) else day, e))
                for s, e in times]


@st.composite
def scenarios(draw) -> Scenario:
    tz = draw(st.sampled_from(sorted(ANCHORS)))
    anchor = draw(st.sampled_from([*ANCHORS[tz], ORDINARY_DAY]))
    date_from = anchor - timedelta(days=draw(st.integers(0, 2)))
    date_to = anchor + timedelta(days=draw(st.integers(0, 3)))
    # Five-minute steps; night hours are favoured because that is where the clocks change.
    night_or_any = st.one_of(st.integers(0, 48), st.integers(264, 287), st.integers(0, 287))

    def clock_times():
        start = draw(night_or_any)
        # 288 * 5 minutes is the next midnight, written 00:00.
        end = min(288, start + draw(st.one_of(st.integers(12, 48), st.integers(1, 72))))
        return time(start * 5 // 60, start * 5 % 60), time(end * 5 // 60 % 24, end * 5 % 60)

    weekdays = st.one_of(st.just(anchor.weekday()), st.integers(0, 6))
    weekly = [WeeklyBlock(draw(weekdays), *clock_times()) for _ in range(draw(st.integers(0, 4)))]
    # Mostly the anchor day; sometimes a day just outside the requested range.
    dates = st.one_of(st.just(anchor), st.integers(-1, 6).map(lambda n: date_from + timedelta(days=n)))
    dated = [DatedBlock(draw(dates), *clock_times()) for _ in range(draw(st.integers(1, 4)))]
    # A quarter-hour grid for busy times and now makes boundaries touch exactly, and often.
    origin = datetime.combine(date_from - timedelta(days=1), time(0), UTC)
    quarters = st.integers(0, 9 * 96).map(lambda n: origin + timedelta(minutes=15 * n))
    short = st.integers(1, 20).map(lambda n: timedelta(minutes=15 * n))
    long = st.integers(1, 12).map(lambda n: timedelta(hours=n))

    def intervals(count: int, lengths) -> list[Interval]:
        return [Interval(start, start + draw(lengths)) for start in (draw(quarters) for _ in range(count))]

    return Scenario(
        timezone=tz, anchor=anchor, date_from=date_from, date_to=date_to,
        weekly_blocks=weekly, dated_blocks=dated,
        appointments=intervals(draw(st.integers(0, 8)), short),
        time_off=intervals(draw(st.integers(0, 3)), st.one_of(short, long)),
        buffer_minutes=draw(st.sampled_from([0, 5, 10, 15, 30, 60])),
        duration_minutes=draw(st.sampled_from([15, 20, 25, 30, 45, 50, 60, 90, 120])),
        interval_minutes=draw(st.sampled_from([None, 5, 10, 15, 25, 30, 45, 60])),
        now=origin + timedelta(minutes=15 * draw(st.integers(0, 2 * 96)),
                               seconds=draw(st.sampled_from([0, 30]))),
        minimum_notice_minutes=draw(st.one_of(st.just(0), st.integers(0, 40).map(lambda n: 15 * n),
                                              st.integers(0, 2880))),
        booking_advance_days=draw(st.one_of(st.integers(3, 10), st.integers(0, 10))),
    )


@cache
def clock(tz: str, anchor: date) -> tuple[datetime, list[datetime]]:
    """Every UTC minute around an anchor day and the running maximum of the local clock's readings.

    "The first instant the clock reads t or later" is then a bisection on the running maximum, which
    needs no knowledge of folds or gaps: that is what makes this an independent model.
    """
    zone = ZoneInfo(tz)
    origin = datetime.combine(anchor - timedelta(days=6), time(0), UTC)
    readings = [(origin + n * MINUTE).astimezone(zone).replace(tzinfo=None) for n in range(16 * 1440)]
    return origin, list(accumulate(readings, max))


def first_reading(tz: str, anchor: date, wall: datetime) -> datetime:
    origin, running_max = clock(tz, anchor)
    index = bisect_left(running_max, wall)
    assert 0 < index < len(running_max), "the model's clock does not cover this scenario"
    return origin + index * MINUTE


def exists(tz: str, wall: datetime, instant: datetime) -> bool:
    return instant.astimezone(ZoneInfo(tz)).replace(tzinfo=None) == wall


def overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def model(scenario: Scenario) -> list[tuple[datetime, datetime]]:
    """The rules written the slow, obvious way: every grid start of every block of every date."""
    tz, anchor = scenario.timezone, scenario.anchor
    earliest = scenario.now + timedelta(minutes=scenario.minimum_notice_minutes)
    today = scenario.now.astimezone(ZoneInfo(tz)).date()
    duration = timedelta(minutes=scenario.duration_minutes)
    found = set()
    day = scenario.date_from
    while day <= scenario.date_to:
        for wall, wall_end in scenario.blocks_on(day):
            block_end = first_reading(tz, anchor, wall_end)
            while wall < wall_end:
                start = first_reading(tz, anchor, wall)
                slot = (start, start + duration)
                if (exists(tz, wall, start) and start >= earliest and slot[1] <= block_end
                        and (day - today).days <= scenario.booking_advance_days
                        and not any(overlaps(slot, busy) for busy in scenario.busy)):
                    found.add(slot)
                wall += scenario.step
        day += timedelta(days=1)
    return sorted(found)


def as_utc(slots) -> list[tuple[datetime, datetime]]:
    return [(start.astimezone(UTC), end.astimezone(UTC)) for start, end in slots]


@PROPERTY_SETTINGS
@given(scenarios())
def test_slots_equal_the_brute_force_model(scenario):
    assert as_utc(scenario.run()) == model(scenario)


@PROPERTY_SETTINGS
@given(scenarios())
def test_slots_never_touch_busy_time_and_last_the_duration(scenario):
    for start, end in as_utc(scenario.run()):
        assert end - start == timedelta(minutes=scenario.duration_minutes)
        assert not any(overlaps((start, end), busy) for busy in scenario.busy)


@PROPERTY_SETTINGS
@given(scenarios())
def test_slots_are_sorted_unique_and_in_the_professionals_zone(scenario):
    found = scenario.run()
    starts = [start for start, _ in as_utc(found)]
    assert starts == sorted(set(starts))
    assert all(s.tzinfo == e.tzinfo == ZoneInfo(scenario.timezone) for s, e in found)


@PROPERTY_SETTINGS
@given(scenarios())
def test_slots_respect_notice_horizon_and_requested_dates(scenario):
    zone = ZoneInfo(scenario.timezone)
    horizon = scenario.now.astimezone(zone).date() + timedelta(days=scenario.booking_advance_days)
    earliest = scenario.now + timedelta(minutes=scenario.minimum_notice_minutes)
    for start, _ in scenario.run():
        assert start >= earliest
        assert scenario.date_from <= start.date() <= min(scenario.date_to, horizon)


@PROPERTY_SETTINGS
@given(scenarios())
def test_each_slot_is_on_a_block_grid_and_inside_that_block(scenario):
    tz, anchor = scenario.timezone, scenario.anchor
    for start, end in scenario.run():
        wall = start.replace(tzinfo=None)
        # The start is an existing wall-clock time, taken at its first occurrence.
        assert start.astimezone(UTC) == first_reading(tz, anchor, wall)
        assert any(
            block_start <= wall < block_end
            and (wall - block_start) % scenario.step == timedelta(0)
            and first_reading(tz, anchor, block_start) <= start
            and end <= first_reading(tz, anchor, block_end)
            for block_start, block_end in scenario.blocks_on(wall.date())
        ), (start, end)
