"""Tasks: send one notification, and the minutely sweeps that make sure nothing is lost or left waiting."""

from __future__ import annotations

import datetime as dt
import logging

from huey import crontab

from shared.jobs.instance import enqueue_many, huey
from shared.notifications.sending import queue, send_notification

__all__ = ["expire_holds", "expire_requests", "purge_expired_records", "requeue_unsent", "send_due_reminders",
           "send_notification", "start_password_reset", "sync_calendar_source", "sync_calendar_sources"]

log = logging.getLogger(__name__)


@huey.task()
def start_password_reset(email: str, ip: str | None, request_id: str | None) -> None:
    """The work behind POST /auth/forgot-password, off the request so that its timing tells nothing."""
    from shared.accounts.common import Origin
    from shared.accounts.service import start_password_reset as start
    from shared.db import unit_of_work

    with unit_of_work() as uow:
        start(uow, email=email, origin=Origin(ip, request_id))


@huey.periodic_task(crontab(minute="*"))
def requeue_unsent() -> int:
    """Queue again the rows a lost message or a dead worker left unsent (Redis restart, crash)."""
    from shared.db import unit_of_work
    from shared.notifications.service import unsent_ids

    with unit_of_work() as uow:
        ids = unsent_ids(uow)
    queue(ids)  # one round trip
    if ids:
        log.info("requeued %d unsent notifications", len(ids))
    return len(ids)


@huey.periodic_task(crontab(minute="*"))
def send_due_reminders() -> dict[str, int]:
    """Write the reminders that are due; they are queued when the transaction commits."""
    from shared.db import unit_of_work
    from shared.notifications.reminders import sweep_reminders

    with unit_of_work() as uow:
        result = sweep_reminders(uow, dt.datetime.now(dt.UTC))
        uow.commit()
    return {"due": result.due, "enqueued": result.enqueued}


@huey.periodic_task(crontab(minute="30", hour="3"))
def purge_expired_records() -> dict[str, int]:
    """Daily: delete notifications and strip audit rows older than RECORD_RETENTION_MONTHS, and the clients
    who only had holds nobody confirmed, lapsed that long ago."""
    from shared.config import get_settings
    from shared.db import unit_of_work
    from shared.privacy.retention import purge_expired

    with unit_of_work() as uow:
        return purge_expired(uow, months=get_settings().record_retention_months, now=dt.datetime.now(dt.UTC))


@huey.periodic_task(crontab(minute="*"))
def expire_requests() -> int:
    """Expire appointment requests nobody answered before their time (the rule lives with appointments)."""
    from shared.appointments.requests import expire
    from shared.db import unit_of_work

    with unit_of_work() as uow:
        expired = expire(uow, now=dt.datetime.now(dt.UTC))
        uow.commit()
    return expired


@huey.periodic_task(crontab(minute="*"))
def expire_holds() -> int:
    """Release the held bookings nobody confirmed in time (the slots ignore them already from their expiry;
    this marks them, for the professional's list and the statistics)."""
    from shared.appointments.holds import expire
    from shared.db import unit_of_work

    with unit_of_work() as uow:
        return expire(uow, now=dt.datetime.now(dt.UTC))


@huey.task()
def sync_calendar_source(source_id: int) -> str:
    """Read one of a professional's calendars and record its busy time (or why it failed)."""
    from shared.calendars.sources import sync_source

    source = sync_source(source_id)
    return "gone" if source is None else (source.last_error or "synced")


@huey.periodic_task(crontab(minute="*/15"))
def sync_calendar_sources() -> int:
    """Every quarter hour, one task per calendar source, so a slow server holds up only its own."""
    from shared.calendars.sources import all_source_ids
    from shared.db import unit_of_work

    with unit_of_work() as uow:
        ids = all_source_ids(uow)
    enqueue_many([sync_calendar_source.s(source_id) for source_id in ids])
    return len(ids)
