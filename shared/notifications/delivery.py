"""The life of an outbox row: claimed by one worker, then sent, skipped, failed or released for a retry."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select, update

from shared.models import Notification, NotificationStatus

PENDING, SENDING = NotificationStatus.pending, NotificationStatus.sending
# A claim older than claim_timeout() belongs to a worker that died mid-send; the row may be claimed again.
# One send waits at most EMAIL_TIMEOUT_SECONDS to connect and as long for each answer; this margin covers
# building the message and recording the outcome.
CLAIM_MARGIN = dt.timedelta(seconds=30)
# The queue normally delivers a fresh row within seconds; the sweeper leaves it alone until then.
SWEEP_DELAY = dt.timedelta(seconds=30)
# A task scheduled for a retry may fire a little before scheduled_for on a worker whose clock is ahead.
CLOCK_GRACE = dt.timedelta(seconds=5)
MAX_ATTEMPTS = 6
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_RETRY = dt.timedelta(hours=1)
SWEEP_BATCH = 1000


def claim_timeout(settings) -> dt.timedelta:
    """How long a claim holds: just above the longest a send can take, so that a worker killed mid-send
    delays its message by this (plus the sweeper's minute) at most."""
    return 2 * dt.timedelta(seconds=settings.email_timeout_seconds) + CLAIM_MARGIN


def claim(session, notification_id: int, now: dt.datetime, timeout: dt.timedelta) -> int | None:
    """Take the row for sending with one conditional UPDATE; returns its attempt number, None if not ours.

    `timeout` is claim_timeout(settings): an older claim is taken over."""
    statement = (
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.scheduled_for <= now + CLOCK_GRACE,
            or_(Notification.status == PENDING,
                and_(Notification.status == SENDING, Notification.claimed_at < now - timeout)),
        )
        .values(status=SENDING, claimed_at=now, attempts=Notification.attempts + 1)
        .returning(Notification.attempts)
    )
    return session.execute(statement).scalar_one_or_none()


def _finish(session, notification_id: int, **values) -> bool:
    # Only the worker holding the claim moves a row on; a row reclaimed meanwhile is left alone.
    statement = (update(Notification)
                 .where(Notification.id == notification_id, Notification.status == SENDING)
                 .values(**values).returning(Notification.id))
    return session.execute(statement).scalar_one_or_none() is not None


def mark_sent(session, notification_id: int, *, provider_message_id: str, now: dt.datetime) -> bool:
    """Record a delivery; sent_at is set in the same statement, as the CHECK requires."""
    return _finish(session, notification_id, status=NotificationStatus.sent, sent_at=now,
                   provider_message_id=provider_message_id[:200], error_message=None)


def mark_failed(session, notification_id: int, *, error: str) -> bool:
    """Give up on the row for good, keeping why."""
    return _finish(session, notification_id, status=NotificationStatus.failed, error_message=error)


def mark_skipped(session, notification_id: int, *, reason: str) -> bool:
    """The message no longer matters (cancelled, moved, already used); the reason goes in error_message."""
    return _finish(session, notification_id, status=NotificationStatus.skipped, error_message=reason)


def release(session, notification_id: int, *, error: str, retry_at: dt.datetime) -> bool:
    """Back to pending after a transient failure, due again at retry_at."""
    return _finish(session, notification_id, status=PENDING, scheduled_for=retry_at, claimed_at=None,
                   error_message=error)


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff: 1, 2, 4, 8, 16 minutes ... capped at an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def unsent_ids_query(now: dt.datetime, claim_timeout: dt.timedelta, limit: int = SWEEP_BATCH):
    """Rows the queue should have delivered by now: pending and due, or claimed by a worker long gone."""
    return (
        select(Notification.id)
        .where(
            # Implies ix_notifications_unsent's predicate, so only unsent rows are ever read.
            Notification.status.in_((PENDING, SENDING)),
            Notification.scheduled_for <= now - SWEEP_DELAY,
            or_(Notification.status == PENDING, Notification.claimed_at < now - claim_timeout),
        )
        .order_by(Notification.scheduled_for)
        .limit(limit)
    )


def unsent_ids(session, now: dt.datetime, claim_timeout: dt.timedelta, limit: int = SWEEP_BATCH) -> list[int]:
    """Ids of the rows unsent_ids_query() finds."""
    return list(session.scalars(unsent_ids_query(now, claim_timeout, limit)))
