"""Never a double booking: many simultaneous requests against a real server (gunicorn, PostgreSQL, Redis)."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from shared import models as m
from shared.config import get_settings
from tests.appointments.conftest import at, future_weekday
from tests.factories import (
    headers_for,
    make_appointment,
    make_block,
    make_client,
    make_professional,
    make_service,
)

ATTEMPTS = 50


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: dict | None


def _source(i: int) -> str:
    # Every attempt comes from its own loopback address (all of 127/8 is local on Linux): a client address
    # of its own as the server sees it, so the per-address rate limit is not what answers.
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


def _all_at_once(base_url: str, requests: list[tuple[str, str, dict, dict]]) -> list[Reply]:
    """Send (method, path, body, headers) requests in threads released together by a barrier."""
    server = urlsplit(base_url)
    barrier = threading.Barrier(len(requests))
    replies: list = [None] * len(requests)

    def worker(index: int, method: str, path: str, body: dict, headers: dict) -> None:
        connection = http.client.HTTPConnection(server.hostname, server.port, timeout=120,
                                                source_address=(_source(index), 0))
        try:
            connection.connect()
            barrier.wait()
            connection.request(method, path, body=json.dumps(body),
                               headers={"Content-Type": "application/json", **headers})
            response = connection.getresponse()
            raw = response.read()
            replies[index] = Reply(response.status, response.getheader("Content-Type", ""),
                                   json.loads(raw) if raw else None)
        except Exception as error:  # reported below, never swallowed
            replies[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r for r in replies if not isinstance(r, Reply)] == []
    return replies


def _unexpected(replies: list[Reply]) -> list:
    return [r.body for r in replies if r.status not in (200, 201, 409)]


@pytest.fixture
def bookable(uow):
    """A professional taking public bookings 08:00-20:00 every day, with a 60-minute service."""
    # A slug of its own: rate-limit counters are keyed by slug, and Redis may be shared with other runs.
    professional = make_professional(uow.session, email="busy@example.com", max_pending_public_bookings=3,
                                     public_slug=f"busy-{uuid.uuid4().hex[:12]}")
    for day in range(7):
        make_block(uow.session, professional, weekday=day, start="08:00", end="20:00")
    service = make_service(uow.session, professional, duration_minutes=60)
    uow.commit()
    return professional, service


@pytest.mark.parametrize("held", [False, True], ids=["confirmed-at-once", "held-for-email"])
def test_concurrent_public_bookings_of_one_slot_make_exactly_one_appointment(live_server, uow, bookable,
                                                                             count, held):
    professional, service = bookable
    uow.session.execute(sa.update(m.ProfessionalSettings).values(require_email_confirmation=held))
    uow.commit()
    path = f"/public/professionals/{professional.public_slug}/appointments"
    start = at(future_weekday(), 10).isoformat()
    requests = [("POST", path, {"service_id": service.id, "start_datetime": start, "name": f"Client {i}",
                                "email": f"client{i}@example.com"}, {}) for i in range(ATTEMPTS)]

    replies = _all_at_once(live_server, requests)

    statuses = Counter(r.status for r in replies)
    assert statuses == {202 if held else 201: 1, 409: ATTEMPTS - 1}, [
        r.body for r in replies if r.status not in (201, 202, 409)]
    assert {r.content_type for r in replies if r.status == 409} == {"application/problem+json"}
    # The losers left nothing behind: one appointment, its client, its e-mails (a hold: only the client's
    # confirmation link), its audit row.
    assert count(m.Appointment) == 1 and count(m.Client) == 1
    assert count(m.Notification) == (1 if held else 2) and count(m.AuditLog) == 1 and count(m.PublicLink) == 1


def test_concurrent_bookings_over_an_expired_hold_release_it_once_and_let_one_through(live_server, uow,
                                                                                     bookable, count, rows):
    professional, service = bookable
    start = at(future_weekday(), 10)
    lapsed = make_appointment(uow.session, professional, service=service, client=make_client(
        uow.session, professional), start=start)
    lapsed.status, lapsed.hold_expires_at = m.AppointmentStatus.held, dt.datetime.now(dt.UTC) - dt.timedelta(
        minutes=1)
    uow.commit()
    path = f"/public/professionals/{professional.public_slug}/appointments"
    requests = [("POST", path, {"service_id": service.id, "start_datetime": start.isoformat(),
                                "name": f"Client {i}", "email": f"client{i}@example.com"}, {})
                for i in range(ATTEMPTS)]

    replies = _all_at_once(live_server, requests)

    assert Counter(r.status for r in replies) == {201: 1, 409: ATTEMPTS - 1}, _unexpected(replies)
    assert [a.status.value for a in rows(m.Appointment)] == ["expired", "confirmed"]
    assert len(rows(m.AuditLog, action="appointment.hold_expired")) == 1


def test_concurrent_holds_on_one_page_stop_exactly_at_the_professional_limit(live_server, uow, bookable,
                                                                            count):
    # OPEN_HOLDS_PER_PROFESSIONAL (20 by default, the live server's) bounds the holds open at once on one
    # page, exactly, however many clients (each from an address of its own) book at the same moment.
    professional, service = bookable
    uow.session.execute(sa.update(m.ProfessionalSettings).values(require_email_confirmation=True))
    uow.commit()
    limit = get_settings().open_holds_per_professional
    days = [future_weekday() + dt.timedelta(days=7 * week) for week in range(3)]
    starts = [at(day, hour) for day in days for hour in range(8, 20)][:limit + 10]
    path = f"/public/professionals/{professional.public_slug}/appointments"
    requests = [("POST", path, {"service_id": service.id, "start_datetime": start.isoformat(),
                                "name": f"Client {i}", "email": f"holder{i}@example.com"}, {})
                for i, start in enumerate(starts)]

    replies = _all_at_once(live_server, requests)

    assert Counter(r.status for r in replies) == {202: limit, 429: 10}, [
        r.body for r in replies if r.status not in (202, 429)]
    assert count(m.Appointment, status=m.AppointmentStatus.held) == limit


def test_concurrent_reschedules_into_one_slot_let_exactly_one_through(live_server, uow, professional, count,
                                                                      rows):
    service = make_service(uow.session, professional, duration_minutes=60)
    client = make_client(uow.session, professional)
    base = at(future_weekday(), 0)
    made = [make_appointment(uow.session, professional, service=service, client=client,
                             start=base + dt.timedelta(hours=i)) for i in range(ATTEMPTS)]
    uow.commit()
    target = (base - dt.timedelta(hours=3)).isoformat()
    headers = headers_for(professional)

    requests = [("PUT", f"/appointments/{a.id}", {"start_datetime": target}, headers) for a in made]

    replies = _all_at_once(live_server, requests)

    statuses = Counter(r.status for r in replies)
    assert statuses == {200: 1, 409: ATTEMPTS - 1}, _unexpected(replies)
    at_target = [a for a in rows(m.Appointment) if a.start_datetime == dt.datetime.fromisoformat(target)]
    assert len(at_target) == 1 and at_target[0].sequence == 1
    assert count(m.Notification, type="rescheduled") == 1
    assert count(m.AuditLog, action="appointment.rescheduled") == 1


def test_concurrent_bookings_by_one_new_client_create_one_client_and_respect_the_cap(live_server, bookable,
                                                                                    count):
    professional, service = bookable  # at most 3 open public bookings per email
    path = f"/public/professionals/{professional.public_slug}/appointments"
    day = future_weekday()
    requests = [("POST", path, {"service_id": service.id, "start_datetime": at(day, 8 + i).isoformat(),
                                "name": "Same Person", "email": "same@example.com"}, {}) for i in range(10)]

    replies = _all_at_once(live_server, requests)

    assert Counter(r.status for r in replies) == {201: 3, 409: 7}, _unexpected(replies)
    assert all("upcoming bookings" in r.body["detail"] for r in replies if r.status == 409)
    assert count(m.Client) == 1 and count(m.Appointment) == 3


def test_concurrent_series_and_single_bookings_into_the_same_times_never_overlap(live_server, uow,
                                                                                 professional, count, rows):
    service = make_service(uow.session, professional, duration_minutes=60)
    uow.commit()
    first = at(future_weekday(), 10)
    headers = headers_for(professional)
    series_in = [("POST", "/appointments", {
        "service_id": service.id, "start_datetime": first.isoformat(),
        "client": {"name": f"Series {i}", "email": f"series{i}@example.com"},
        "recurrence": {"every_weeks": 1, "count": 6}}, headers) for i in range(10)]
    # Single bookings into weeks 2, 4 and 6 of the same series times (half an hour into them).
    singles_in = [("POST", "/appointments", {
        "service_id": service.id, "start_datetime": (first + dt.timedelta(weeks=2 * (1 + i % 3) - 1,
                                                                          minutes=30)).isoformat(),
        "client": {"name": f"Single {i}", "email": f"single{i}@example.com"}}, headers) for i in range(10)]

    replies = _all_at_once(live_server, series_in + singles_in)

    assert _unexpected(replies) == []
    assert {r.content_type for r in replies if r.status == 409} == {"application/problem+json"}
    won_series = [r.body for r in replies[:10] if r.status == 201]
    won_singles = [r.body for r in replies[10:] if r.status == 201]
    assert won_series or won_singles
    # All or nothing: a series that won has its six appointments, one that lost left nothing behind.
    assert count(m.AppointmentSeries) == len(won_series)
    assert all(len(body["appointments"]) == 6 for body in won_series)
    assert count(m.Appointment) == 6 * len(won_series) + len(won_singles)
    assert len(won_series) <= 1 and not (won_series and won_singles)
    active = sorted((a.start_datetime, a.end_datetime) for a in rows(m.Appointment))
    assert all(end <= next_start for (_, end), (next_start, _) in zip(active, active[1:], strict=False))


def test_retention_and_a_booking_by_the_same_address_never_leave_a_booking_without_its_client(
        live_server, uow, bookable, rows):
    # Retention deletes a client who only ever had lapsed holds while that person books again: the booking
    # either finds the row (which then stays) or writes a new one, never a row deleted under it.
    from shared.db import unit_of_work
    from shared.privacy.retention import purge_expired

    professional, service = bookable
    uow.session.execute(sa.update(m.ProfessionalSettings).values(require_email_confirmation=True))
    uow.commit()
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=3 * 365)
    rounds = 12
    server = urlsplit(live_server)
    path = f"/public/professionals/{professional.public_slug}/appointments"
    starts = [at(future_weekday() + dt.timedelta(days=7 * (i // 8)), 8 + i % 8) for i in range(rounds)]
    statuses, deleted = [], []

    for i, start in enumerate(starts):
        # The client as the page wrote it three years ago, in one transaction with its hold, long lapsed.
        with unit_of_work() as work:
            client = make_client(work.session, professional, email=f"returning{i}@example.com")
            lapsed = make_appointment(work.session, professional, service=service, client=client,
                                      start=long_ago)
            lapsed.status, lapsed.hold_expires_at = m.AppointmentStatus.expired, long_ago
            work.commit()
        barrier = threading.Barrier(2)

        def book(i=i, start=start, barrier=barrier):
            connection = http.client.HTTPConnection(server.hostname, server.port, timeout=60,
                                                    source_address=(_source(i), 0))
            connection.connect()
            barrier.wait()
            connection.request("POST", path, body=json.dumps({
                "service_id": service.id, "start_datetime": start.isoformat(), "name": "Returning",
                "email": f"returning{i}@example.com"}), headers={"Content-Type": "application/json"})
            statuses.append(connection.getresponse().status)
            connection.close()

        def purge(barrier=barrier):
            barrier.wait()
            with unit_of_work() as work:
                deleted.append(purge_expired(work, months=24, now=dt.datetime.now(dt.UTC))[
                    "unconfirmed_clients_deleted"])

        threads = [threading.Thread(target=book), threading.Thread(target=purge)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert statuses == [202] * rounds
    held = rows(m.Appointment, status=m.AppointmentStatus.held)
    assert len(held) == rounds and all(a.client_id is not None for a in held)
    clients = {c.id: c.email for c in rows(m.Client)}
    assert sorted(clients[a.client_id] for a in held) == sorted(f"returning{i}@example.com"
                                                                for i in range(rounds))
    # Each round's lapsed hold went with its client, or stayed because the booking found that client first.
    assert sum(deleted) + len(rows(m.Appointment, status=m.AppointmentStatus.expired)) == rounds
