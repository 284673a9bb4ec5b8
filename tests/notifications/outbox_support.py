"""Helpers for outbox delivery tests: bookings with client links, reading sent mail, a consumer in threads."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import time
from email import policy

from huey.consumer import Consumer
from icalendar import Calendar
from sqlalchemy import select

from shared import linktokens
from shared.models import LinkType, Notification, PublicLink
from tests.factories import make_appointment, make_client, make_service

T0 = dt.datetime(2027, 3, 22, 8, 0, tzinfo=dt.UTC)  # "now" in tests that pass the clock explicitly


def book(session, professional, *, start: dt.datetime, status: str = "confirmed",
         client_email: str = "lucia@example.com", client_name: str = "Lucía Cliente"):
    """An appointment with its client link, as the booking paths leave it; returns (appointment, token)."""
    service = make_service(session, professional, name="Terapia individual", duration_minutes=50)
    client = make_client(session, professional, name=client_name, email=client_email)
    appointment = make_appointment(session, professional, service=service, client=client, start=start,
                                   status=status)
    token, nonce, token_hash = linktokens.new_token("appointment")
    session.add(PublicLink(professional_id=professional.id, appointment_id=appointment.id,
                           type=LinkType.appointment, token_hash=token_hash, token_nonce=nonce,
                           expires_at=start + dt.timedelta(days=1)))
    session.flush()
    return appointment, token


def notification(session, notification_id: int) -> Notification:
    """The row as committed now (not a cached instance)."""
    session.expire_all()
    return session.scalar(select(Notification).where(Notification.id == notification_id))


def parse(raw: str | bytes) -> email.message.EmailMessage:
    data = raw.encode() if isinstance(raw, str) else raw
    return email.message_from_bytes(data, policy=policy.default)


def body(message, subtype: str) -> str:
    """The text/plain or text/html alternative, decoded."""
    return next(part for part in message.walk() if part.get_content_type() == f"text/{subtype}").get_content()


def calendars(message) -> list[Calendar]:
    """Every calendar in the message (the inline alternative and the invite.ics attachment)."""
    found = []
    for part in message.walk():
        if part.get_content_type() in ("text/calendar", "application/ics"):
            found.append(Calendar.from_ical(part.get_payload(decode=True)))
    return found


def event(message):
    """The single VEVENT the message's calendars agree on, with the calendar's METHOD."""
    found = calendars(message)
    assert len(found) == 2, "an inline text/calendar and an invite.ics attachment"
    assert found[0].to_ical() == found[1].to_ical()
    (vevent,) = found[0].walk("VEVENT")
    return found[0], vevent


def wait_until(predicate, *, timeout: float = 30.0, interval: float = 0.05):
    """Poll until predicate() is truthy and return it; fails (never asserts on durations) after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


class _ThreadConsumer(Consumer):
    def _set_signal_handlers(self):
        # The test process keeps its own signal handlers; the consumer is stopped explicitly.
        pass


@contextlib.contextmanager
def running_consumer(huey, *, workers: int = 2, periodic: bool = False):
    """A real Huey consumer (worker threads) reading the queue from Redis, stopped at the end."""
    consumer = _ThreadConsumer(huey, workers=workers, periodic=periodic, worker_type="thread",
                               initial_delay=0.05, max_delay=0.2, check_worker_health=False)
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
