"""Notification use cases: deliver one outbox row, find what the queue lost, write due reminders, list."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from shared import metrics
from shared.config import get_settings
from shared.db import unit_of_work
from shared.errors import AgendaError
from shared.models import Notification, NotificationStatus
from shared.notifications import delivery
from shared.notifications.reminders import SweepResult, sweep_reminders

if TYPE_CHECKING:
    from shared.notifications.compose import Outgoing

# The sending machinery (templates, .ics, e-mail backends) is imported inside the functions that deliver:
# the functions that only list notifications or write reminders answer without loading it (cold start).

__all__ = ["Delivery", "SweepResult", "deliver", "get_all", "sweep_reminders", "unsent_ids"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """What one deliver() call did; retry_at is set when the row was released for a later attempt."""

    notification_id: int
    status: str  # sent | skipped | failed | retry | not_claimed
    error: str | None = None
    retry_at: dt.datetime | None = None


_sender_cache: list = [None, None]


def _default_sender(settings):
    # One provider client per process and settings: a boto3 client costs tens of milliseconds to build.
    from shared.notifications.email_backends import get_sender

    if _sender_cache[0] is not settings:
        _sender_cache[:] = [settings, get_sender(settings)]
    return _sender_cache[1]


def deliver(notification_id: int, now: dt.datetime | None = None, *, sender=None, settings=None,
            uow_factory=unit_of_work) -> Delivery:
    """Claim the row, re-check it still applies, send it once and record the outcome."""
    from shared.notifications.email_backends import PermanentEmailError

    settings = settings or get_settings()
    started = now or dt.datetime.now(dt.UTC)
    with uow_factory() as uow:
        attempt = delivery.claim(uow.session, notification_id, started, delivery.claim_timeout(settings))
        uow.commit()  # visible before the slow part, so no other worker takes it meanwhile
    if attempt is None:
        return Delivery(notification_id, "not_claimed")
    if attempt > delivery.MAX_ATTEMPTS:  # claimed again after a worker died with its last attempt
        return _record(uow_factory, notification_id, "failed", error=f"gave up after {attempt - 1} attempts")

    outgoing = _prepare(uow_factory, notification_id, started, settings)
    if isinstance(outgoing, Delivery):
        return outgoing
    try:
        message_id = (sender or _default_sender(settings)).send(
            outgoing.raw, to=[outgoing.recipient], sender=settings.email_sender)
    except PermanentEmailError as exc:
        return _record(uow_factory, notification_id, "failed", error=_describe(exc))
    except Exception as exc:  # transient provider trouble, or anything unforeseen: try again later
        log.warning("sending notification %s failed (attempt %s)", notification_id, attempt, exc_info=True)
        return _retry_or_fail(uow_factory, notification_id, attempt, started, _describe(exc))
    return _record(uow_factory, notification_id, "sent", message_id=message_id, now=now)


def _describe(exc: Exception) -> str:
    """The error as stored in error_message, led by the provider's code or the exception's class."""
    from shared.notifications.email_backends import EmailError

    code = exc.code if isinstance(exc, EmailError) and exc.code else type(exc).__name__
    message = str(exc)
    return message if message.startswith(code) else f"{code}: {message}"


def _prepare(uow_factory, notification_id: int, now: dt.datetime, settings) -> Outgoing | Delivery:
    """The raw message, or the outcome when there is nothing to send."""
    from shared.notifications.compose import compose
    from shared.notifications.context import Skip

    try:
        with uow_factory() as uow:
            return compose(uow.session, notification_id, now=now, settings=settings)
    except Skip as skip:
        return _record(uow_factory, notification_id, "skipped", error=skip.reason)
    except AgendaError as exc:  # a missing row, template or value: sending again would fail the same way
        return _record(uow_factory, notification_id, "failed", error=exc.detail or str(exc))
    except Exception as exc:
        log.exception("could not build notification %s", notification_id)
        attempt = _attempts(uow_factory, notification_id)
        return _retry_or_fail(uow_factory, notification_id, attempt, now, _describe(exc))


def _attempts(uow_factory, notification_id: int) -> int:
    with uow_factory() as uow:
        statement = select(Notification.attempts).where(Notification.id == notification_id)
        return uow.session.scalar(statement) or 0


def _retry_or_fail(uow_factory, notification_id: int, attempt: int, now: dt.datetime, error: str) -> Delivery:
    if attempt >= delivery.MAX_ATTEMPTS:
        error = f"gave up after {attempt} attempts: {error}"
        return _record(uow_factory, notification_id, "failed", error=error)
    retry_at = now + delivery.retry_delay(attempt)
    return _record(uow_factory, notification_id, "retry", error=error, retry_at=retry_at)


def _record(uow_factory, notification_id: int, status: str, *, error: str | None = None,
            retry_at: dt.datetime | None = None, message_id: str | None = None,
            now: dt.datetime | None = None) -> Delivery:
    """Move the claimed row to its outcome in its own short transaction."""
    with uow_factory() as uow:
        session = uow.session
        if status == "sent":
            delivery.mark_sent(session, notification_id, provider_message_id=message_id,
                               now=now or dt.datetime.now(dt.UTC))
        elif status == "skipped":
            delivery.mark_skipped(session, notification_id, reason=error)
        elif status == "retry":
            delivery.release(session, notification_id, error=error, retry_at=retry_at)
        else:
            delivery.mark_failed(session, notification_id, error=error)
        uow.commit()
    if status == "sent":
        metrics.notifications_sent.inc()
    elif status in ("failed", "retry"):  # every failed attempt, whether or not another one follows
        metrics.notifications_failed.inc()
    if status == "failed":
        log.error("notification %s failed: %s", notification_id, error)
    return Delivery(notification_id, status, error=error, retry_at=retry_at)


def unsent_ids(uow, now: dt.datetime | None = None) -> list[int]:
    """Ids of rows the queue should already have delivered (lost messages, dead workers)."""
    return delivery.unsent_ids(uow.session, now or dt.datetime.now(dt.UTC),
                               delivery.claim_timeout(get_settings()))


def get_all(uow, *, professional_id: int, status: str | None = None, from_: dt.datetime | None = None,
            to: dt.datetime | None = None, limit: int = 50,
            offset: int = 0) -> tuple[list[Notification], int]:
    """One professional's notifications, newest first, filtered by status and creation time [from, to)."""
    conditions = [Notification.professional_id == professional_id]
    if status is not None:
        conditions.append(Notification.status == NotificationStatus(status))
    if from_ is not None:
        conditions.append(Notification.created_at >= from_)
    if to is not None:
        conditions.append(Notification.created_at < to)
    total = uow.session.scalar(select(func.count()).select_from(Notification).where(*conditions))
    items = uow.session.scalars(select(Notification).where(*conditions)
                                .order_by(Notification.created_at.desc(), Notification.id.desc())
                                .limit(limit).offset(offset))
    return list(items), total
