"""The data the HTTP cases need, written through the models (tests/factories.py) into agenda_bench."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Madrid")
BOOKING_PAGES = 20
SLOT_RANGE_DAYS = 31
SLOTS_APPOINTMENTS = 300
IMPORTED_BUSY_INTERVALS = 500
FIRST_OPEN = dt.time(8, 0)
LAST_CLOSE = dt.time(20, 0)
BOOKING_STEP_MINUTES = 30
STARTS_PER_DAY = (20 - 8) * 60 // BOOKING_STEP_MINUTES


@dataclass(frozen=True)
class Page:
    """A professional's public booking page and the service booked on it."""

    slug: str
    service_id: int


@dataclass(frozen=True)
class World:
    password: str
    floor_email: str
    floor_headers: dict[str, str]
    admin_headers: dict[str, str]
    slots_page: Page
    imported_busy_page: Page
    slots_from: dt.date
    slots_to: dt.date
    booking_pages: list[Page]
    warm_up_page: Page
    race_page: Page

    def booking_page_path(self) -> str:
        """The booking page a client opens for the same professional, service and first day."""
        return (f"/book/{self.slots_page.slug}?service={self.slots_page.service_id}"
                f"&date={self.slots_from.isoformat()}")

    def slots_path(self, page: Page | None = None) -> str:
        page = page or self.slots_page
        return (f"/public/professionals/{page.slug}/slots?service_id={page.service_id}"
                f"&from={self.slots_from.isoformat()}&to={self.slots_to.isoformat()}")


def local_today() -> dt.date:
    return dt.datetime.now(ZONE).date()


def booking_start(n: int, first_day: dt.date) -> dt.datetime:
    """The n-th free start of a page open every day 08:00-20:00 in 30-minute slots, from `first_day`."""
    day = first_day + dt.timedelta(days=n // STARTS_PER_DAY)
    minutes = (n % STARTS_PER_DAY) * BOOKING_STEP_MINUTES
    return dt.datetime.combine(day, FIRST_OPEN, ZONE) + dt.timedelta(minutes=minutes)


def _open_every_day(session, professional, duration_minutes: int) -> Page:
    from tests.factories import make_block, make_service

    for weekday in range(7):
        make_block(session, professional, weekday=weekday, start="08:00", end="20:00")
    service = make_service(session, professional, duration_minutes=duration_minutes)
    return Page(professional.public_slug, service.id)


def _slots_professional(session, slug: str = "bench-slots",
                        imported_busy: int = 0) -> tuple[Page, dt.date, dt.date]:
    """6 weekly blocks, 300 appointments and time off in a 31-day range (15-min grid, 5-min buffer), and
    `imported_busy` busy intervals read from a calendar source (45 minutes each, spread over the range)."""
    from shared import models as m
    from tests.factories import make_appointment, make_block, make_client, make_professional, make_service

    professional = make_professional(session, email=f"{slug}@bench.example", public_slug=slug,
                                     slot_interval_minutes=15, buffer_minutes=5)
    for weekday in range(6):  # Monday to Saturday
        make_block(session, professional, weekday=weekday, start="08:00", end="20:00")
    offered = make_service(session, professional, name="Session", duration_minutes=60)
    short = make_service(session, professional, name="Follow-up", duration_minutes=30)
    clients = [make_client(session, professional, name=f"Client {i}", email=f"client{i}@bench.example")
               for i in range(30)]

    first = local_today() + dt.timedelta(days=1)
    last = first + dt.timedelta(days=SLOT_RANGE_DAYS - 1)
    days = [first + dt.timedelta(days=i) for i in range(SLOT_RANGE_DAYS)]
    positions = [dt.datetime.combine(day, FIRST_OPEN, ZONE) + dt.timedelta(minutes=30 * k)
                 for day in days if day.weekday() < 6 for k in range(STARTS_PER_DAY)]
    chooser = random.Random(20260101)
    for n, start in enumerate(sorted(chooser.sample(positions, SLOTS_APPOINTMENTS))):
        make_appointment(session, professional, service=short, client=clients[n % len(clients)], start=start,
                         status="pending" if n % 5 == 0 else "confirmed")

    def local(day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), ZONE)

    session.add(m.TimeOff(professional_id=professional.id, start_datetime=local(days[9], 0),
                          end_datetime=local(days[10], 0), reason="Conference"))
    for index in (2, 16, 23):
        session.add(m.TimeOff(professional_id=professional.id, start_datetime=local(days[index], 14),
                              end_datetime=local(days[index], 20), reason="Afternoon off"))
    if imported_busy:
        source = m.CalendarSource(professional_id=professional.id, kind=m.CalendarSourceKind.ics,
                                  url="https://calendar.bench.example/personal.ics", busy_count=imported_busy)
        session.add(source)
        session.flush()
        every = dt.timedelta(days=SLOT_RANGE_DAYS) / imported_busy
        begin = dt.datetime.combine(first, FIRST_OPEN, ZONE)
        session.add_all(m.CalendarBusyInterval(source_id=source.id, professional_id=professional.id,
                                               start_datetime=begin + every * n,
                                               end_datetime=begin + every * n + dt.timedelta(minutes=45))
                        for n in range(imported_busy))
    session.flush()
    return Page(professional.public_slug, offered.id), first, last


def build_world() -> World:
    from shared.db import unit_of_work
    from tests.factories import DEFAULT_PASSWORD, headers_for, make_admin, make_professional
    from tests.factories import bearer as bearer_for

    with unit_of_work() as uow:
        session = uow.session
        floor = make_professional(session, email="floor@bench.example", public_slug="bench-floor")
        admin = make_admin(session, email="operator@bench.example")
        slots_page, first, last = _slots_professional(session)
        imported_busy_page, _, _ = _slots_professional(session, "bench-slots-busy", IMPORTED_BUSY_INTERVALS)
        pages = [_open_every_day(session, make_professional(session, email=f"book{i}@bench.example",
                                                           public_slug=f"bench-book-{i}"),
                                 BOOKING_STEP_MINUTES)
                 for i in range(BOOKING_PAGES)]
        warm = _open_every_day(session, make_professional(session, email="warm@bench.example",
                                                          public_slug="bench-warm"), BOOKING_STEP_MINUTES)
        race = _open_every_day(session, make_professional(session, email="race@bench.example",
                                                          public_slug="bench-race"), 60)
        uow.commit()
        return World(password=DEFAULT_PASSWORD, floor_email="floor@bench.example",
                     floor_headers=headers_for(floor), admin_headers=bearer_for(admin),
                     slots_page=slots_page, imported_busy_page=imported_busy_page, slots_from=first,
                     slots_to=last, booking_pages=pages,
                     warm_up_page=warm, race_page=race)
