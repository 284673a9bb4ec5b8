"""Fixtures for privacy tests: a bookable practice, its professional's headers, and sending the outbox."""

from __future__ import annotations

import datetime as dt
import email
from email import policy
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

MADRID = ZoneInfo("Europe/Madrid")


def future_day(days_ahead: int = 10) -> dt.date:
    """A date `days_ahead` days from today (real clock): public booking offers only future slots."""
    return dt.date.today() + dt.timedelta(days=days_ahead)


def at(day: dt.date, hour: int) -> str:
    return dt.datetime.combine(day, dt.time(hour), MADRID).isoformat()


@pytest.fixture
def practice(uow):
    """A professional open every day 09:00-13:00 with a 60-minute service; (professional, service)."""
    from tests.factories import make_block, make_professional, make_service

    professional = make_professional(uow.session, email="pro@example.com", business_name="Calma")
    for day in range(7):
        make_block(uow.session, professional, weekday=day, start="09:00", end="13:00")
    service = make_service(uow.session, professional, name="Therapy", duration_minutes=60)
    uow.commit()
    return professional, service


@pytest.fixture
def pro_headers(practice):
    from tests.factories import headers_for

    return headers_for(practice[0])


@pytest.fixture
def send_outbox(db_url):
    """Send every unsent notification through an in-memory sender; returns the decoded messages sent."""
    from shared.db import unit_of_work
    from shared.models import Notification, NotificationStatus
    from shared.notifications.email_backends import MemorySender
    from shared.notifications.service import deliver

    sender = MemorySender()

    def send(now: dt.datetime | None = None) -> list[str]:
        with unit_of_work() as uow:
            ids = list(uow.session.scalars(select(Notification.id).where(
                Notification.status == NotificationStatus.pending).order_by(Notification.id)))
        for notification_id in ids:
            deliver(notification_id, now, sender=sender)
        return [decoded(raw) for raw, _to, _sender in sender.sent]

    return send


def decoded(raw: bytes) -> str:
    """A message as one text: its headers and every part decoded (bodies, the calendar attachment)."""
    message = email.message_from_bytes(raw, policy=policy.default)
    texts = [str(message)]
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if payload:
            texts.append(payload.decode("utf-8", "replace"))
    return "\n".join(texts)


def _text_columns(db_engine) -> list[tuple[str, str]]:
    with db_engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'inet') "
            "ORDER BY table_name, column_name"))]


def where_found(db_engine, needle: str) -> list[str]:
    """Every text, varchar, jsonb or inet column of any table holding `needle`, as table.column."""
    found = []
    with db_engine.connect() as conn:
        for table, column in _text_columns(db_engine):
            hits = conn.execute(text(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE :p'),
                                {"p": f"%{needle}%"}).scalar()
            if hits:
                found.append(f"{table}.{column}")
    return found
