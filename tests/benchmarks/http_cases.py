"""The cases measured over HTTP against the running server, each next to the floor in alternating rounds."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from dataclasses import dataclass

from tests.benchmarks.harness import Driver, PhaseResult, get, phase, post
from tests.benchmarks.report import BASELINE, FAIL, PASS, REPORTED, Report, verdict
from tests.benchmarks.seed import Page, World, booking_start, local_today
from tests.benchmarks.stats import median, ms, percentile, ratio

FLOOR_PATH = "/health/ping"
# Sequential latency rounds: floor then slots, this many times.
LATENCY_ROUNDS, LATENCY_PER_ROUND = 8, 15
# Throughput rounds at 20 clients: floor then booking.
CLIENTS = 20
THROUGHPUT_ROUNDS, FLOOR_PER_ROUND, BOOKINGS_PER_ROUND = 4, 300, 100
RACE_ATTEMPTS = 100
LOGIN_ROUNDS, LOGIN_FLOOR_PER_ROUND, LOGINS_PER_ROUND = 5, 6, 4


@dataclass
class Bookings:
    """Distinct free slots, handed out in turn across the pages (so no page sees more than 60 a minute)."""

    pages: list[Page]
    first_day: dt.date

    def __post_init__(self):
        self._counter = itertools.count()

    def next(self) -> list:
        n = next(self._counter)
        page = self.pages[n % len(self.pages)]
        start = booking_start(n // len(self.pages), self.first_day)
        return booking_request(page, start, f"bench{n}-{page.slug}@client.example")


def booking_request(page: Page, start: dt.datetime, email: str) -> list:
    return post(f"/public/professionals/{page.slug}/appointments",
                {"service_id": page.service_id, "start_datetime": start.isoformat(), "name": "Bench Client",
                 "email": email})


def _latencies(results: list[PhaseResult], label: str) -> list[float]:
    return [value for result in results if result.label == label for value in result.latencies]


def _unexpected(results: list[PhaseResult], label: str, expected: int) -> Counter:
    return Counter(status for result in results if result.label == label for status in result.statuses
                   if status != expected)


def _problems(counter: Counter) -> str:
    if not counter:
        return ""
    return "; **unexpected answers**: " + ", ".join(f"{count}× {status or 'no answer'}"
                                                   for status, count in sorted(counter.items()))


def _round_ratios(results: list[PhaseResult], floor: str, target: str, measure) -> list[float]:
    floors = [r for r in results if r.label == floor]
    targets = [r for r in results if r.label == target]
    return [measure(t) / measure(f) for f, t in zip(floors, targets, strict=True)]


def warm_up(driver: Driver, world: World, workers: int) -> None:
    """Every worker imports the functions it will serve and opens its connections before anything is timed."""
    warm = Bookings([world.warm_up_page], local_today() + dt.timedelta(days=2))
    count = 4 * workers
    login = post("/auth/login", {"email": world.floor_email, "password": world.password})
    driver.run([
        phase("floor", [get(FLOOR_PATH, world.floor_headers)] * count, workers),
        phase("slots", [get(world.slots_path())] * count, workers),
        phase("booking", [warm.next() for _ in range(count)], workers),
        phase("login", [login] * workers, workers),
    ])


def floor_and_slots(driver: Driver, world: World, report: Report) -> float:
    """Case 1 and 2 (HTTP): sequential latency of the floor and of 31 days of slots, rounds alternating."""
    floor, slots = get(FLOOR_PATH, world.floor_headers), get(world.slots_path())
    busy = get(world.slots_path(world.imported_busy_page))
    booking_page = get(world.booking_page_path())
    phases = []
    for _ in range(LATENCY_ROUNDS):
        phases += [phase("floor", [floor] * LATENCY_PER_ROUND), phase("slots", [slots] * LATENCY_PER_ROUND),
                   phase("imported", [busy] * LATENCY_PER_ROUND),
                   phase("page", [booking_page] * LATENCY_PER_ROUND)]
    results = driver.run(phases)
    floor_latencies, slot_latencies = _latencies(results, "floor"), _latencies(results, "slots")
    floor_p50, slots_p50 = median(floor_latencies), median(slot_latencies)
    rounds = _round_ratios(results, "floor", "slots", lambda r: median(r.latencies))
    report.add("1", f"Floor: `GET {FLOOR_PATH}` (professional token checked in the database, then "
               "`SELECT 1`), 1 client",
               f"p50 {ms(floor_p50)}, p99 {ms(percentile(floor_latencies, 99))} (n={len(floor_latencies)})"
               + _problems(_unexpected(results, "floor", 200)), outcome=BASELINE)
    report.add("2", "Slots: `GET /public/professionals/<slug>/slots`, 31 days (6 blocks of 12 h a week, "
               "300 appointments, 4 time off, 60-min service on a 15-min grid, 5-min buffer), 1 client",
               f"p50 {ms(slots_p50)} = **{ratio(slots_p50 / floor_p50)} floor** (rounds "
               f"{ratio(min(rounds))}–{ratio(max(rounds))}), p99 {ms(percentile(slot_latencies, 99))}"
               + _problems(_unexpected(results, "slots", 200)),
               "p50 ≤ 3× floor", verdict(slots_p50 <= 3 * floor_p50))
    page_latencies = _latencies(results, "page")
    page_p50 = median(page_latencies)
    report.add("2b", "Booking page: `GET /book/<slug>?service=&date=` (the same professional and service: "
               "profile, the day's free times and the next free days, rendered in HTML), 1 client",
               f"p50 {ms(page_p50)} = **{ratio(page_p50 / floor_p50)} floor**, next to the slots endpoint's "
               f"p50 {ms(slots_p50)} ({ratio(page_p50 / slots_p50)} of it); p99 "
               f"{ms(percentile(page_latencies, 99))}" + _problems(_unexpected(results, "page", 200)))
    busy_latencies = _latencies(results, "imported")
    busy_p50 = median(busy_latencies)
    busy_rounds = _round_ratios(results, "floor", "imported", lambda r: median(r.latencies))
    report.add("2c", "Slots as in 2, plus 500 busy intervals imported from the professional's calendar",
               f"p50 {ms(busy_p50)} = **{ratio(busy_p50 / floor_p50)} floor** (rounds "
               f"{ratio(min(busy_rounds))}–{ratio(max(busy_rounds))}), "
               f"p99 {ms(percentile(busy_latencies, 99))}"
               + _problems(_unexpected(results, "imported", 200)),
               "p50 ≤ 3× floor", verdict(busy_p50 <= 3 * floor_p50))
    return floor_p50


def booking_throughput(driver: Driver, world: World, report: Report) -> None:
    """Case 3: 20 clients booking different free slots, against the floor at the same concurrency."""
    bookings = Bookings(world.booking_pages, local_today() + dt.timedelta(days=2))
    floor = get(FLOOR_PATH, world.floor_headers)
    phases = []
    for _ in range(THROUGHPUT_ROUNDS):
        phases += [phase("floor", [floor] * FLOOR_PER_ROUND, CLIENTS),
                   phase("booking", [bookings.next() for _ in range(BOOKINGS_PER_ROUND)], CLIENTS)]
    results = driver.run(phases)

    def pooled(label: str) -> tuple[float, list[float]]:
        chosen = [r for r in results if r.label == label]
        return sum(len(r.statuses) for r in chosen) / sum(r.wall for r in chosen), _latencies(results, label)

    floor_rate, floor_latencies = pooled("floor")
    booking_rate, booking_latencies = pooled("booking")
    rounds = _round_ratios(results, "floor", "booking", lambda r: r.throughput)
    share = booking_rate / floor_rate
    booking_p50 = median(booking_latencies)
    report.add("1", f"Floor at {CLIENTS} concurrent clients",
               f"{floor_rate:.0f} req/s; p50 {ms(median(floor_latencies))}, "
               f"p99 {ms(percentile(floor_latencies, 99))}" + _problems(_unexpected(results, "floor", 200)),
               outcome=BASELINE)
    report.add("3", f"Public booking `POST /public/professionals/<slug>/appointments`, {CLIENTS} clients, "
               f"{len(booking_latencies)} different free slots",
               f"{booking_rate:.0f} req/s = **{share:.0%} of floor** (rounds {min(rounds):.0%}–"
               f"{max(rounds):.0%}); p50 {ms(booking_p50)} = {ratio(booking_p50 / median(floor_latencies))} "
               f"floor's at {CLIENTS} clients, "
               f"p99 {ms(percentile(booking_latencies, 99))}"
               + _problems(_unexpected(results, "booking", 201)),
               "≥ 30% of floor throughput", verdict(share >= 0.30))


def contention(driver: Driver, world: World, report: Report) -> None:
    """Case 4: 100 bookings of one slot released at once: one 201, 99 × 409, no 5xx."""
    start = booking_start(0, local_today() + dt.timedelta(days=3))
    requests = [booking_request(world.race_page, start, f"racer{i}@client.example")
                for i in range(RACE_ATTEMPTS)]
    (result,) = driver.run([phase("race", requests, RACE_ATTEMPTS, all_at_once=True)])
    counts = Counter(result.statuses)
    created, conflicts = counts.get(201, 0), counts.get(409, 0)
    server_errors = sum(count for status, count in counts.items() if status >= 500)
    others = {status: count for status, count in counts.items() if status not in (201, 409) and status < 500}
    ok = created == 1 and conflicts == RACE_ATTEMPTS - 1 and server_errors == 0 and not others
    detail = f"201 × {created}, 409 × {conflicts}, 5xx × {server_errors}"
    if others:
        detail += ", other: " + ", ".join(f"{s or 'no answer'} × {c}" for s, c in sorted(others.items()))
    detail += f"; all answered within {ms(result.wall)}"
    report.add("4", f"Contention: {RACE_ATTEMPTS} concurrent bookings of one slot", detail,
               f"1 × 201, {RACE_ATTEMPTS - 1} × 409, 0 × 5xx", PASS if ok else FAIL)


def login(driver: Driver, world: World, report: Report, parameters: str) -> float:
    """Case 7 (HTTP): POST /auth/login end to end, in rounds with the floor."""
    floor = get(FLOOR_PATH, world.floor_headers)
    attempt = post("/auth/login", {"email": world.floor_email, "password": world.password})
    phases = []
    for _ in range(LOGIN_ROUNDS):
        phases += [phase("floor", [floor] * LOGIN_FLOOR_PER_ROUND),
                   phase("login", [attempt] * LOGINS_PER_ROUND)]
    results = driver.run(phases)
    floor_p50, login_latencies = median(_latencies(results, "floor")), _latencies(results, "login")
    login_p50 = median(login_latencies)
    report.add("7", f"Login `POST /auth/login` end to end ({parameters}), 1 client",
               f"p50 {ms(login_p50)} = {ratio(login_p50 / floor_p50)} floor, p99 "
               f"{ms(percentile(login_latencies, 99))} (n={len(login_latencies)})"
               + _problems(_unexpected(results, "login", 200)), outcome=REPORTED)
    return login_p50
