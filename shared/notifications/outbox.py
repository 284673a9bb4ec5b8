"""The outbox: notifications are rows written in the caller's transaction; a job sends them after commit.

Every outbox row is written here (enqueue() for one row, row_cte() for a caller that writes several rows
of different tables in one statement), and collect() hands the new ids to the queue through the unit of
work's after-commit hook: a rollback forgets them, a commit queues them all in one round trip.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import CTE
from sqlalchemy.dialects.postgresql import insert

from shared.models import Notification

log = logging.getLogger(__name__)


def values(*, type: str, recipient: str, professional_id: int | None = None, user_id: int | None = None,
           appointment_id: int | None = None, appointment_request_id: int | None = None,
           payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """One pending notification as column values."""
    return {"type": type, "recipient": recipient, "professional_id": professional_id, "user_id": user_id,
            "appointment_id": appointment_id, "appointment_request_id": appointment_request_id,
            "payload": payload or {}}


def enqueue(uow, *, dedupe_key: str | None = None, scheduled_for: dt.datetime | None = None,
            **fields: Any) -> int | None:
    """Write one pending notification (values()' fields); with a dedupe_key an existing twin wins and None
    is returned."""
    row = {**values(**fields), "dedupe_key": dedupe_key}
    if scheduled_for is not None:
        row["scheduled_for"] = scheduled_for
    statement = insert(Notification).values(**row).returning(Notification.id)
    if dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    notification_id = uow.session.execute(statement).scalar_one_or_none()
    if notification_id is not None:
        collect(uow, [notification_id])
    return notification_id


def row_cte(row: dict[str, Any], name: str) -> CTE:
    """values() as a data-modifying CTE returning the new id, for a statement that writes several rows.

    A single-row INSERT per CTE, never one multi-row VALUES: SQLAlchemy caches the compiled form of the
    former but not of the latter, and compiling again on every booking cost more than it saved."""
    table = Notification.__table__
    return insert(table).values(row).returning(table.c.id).cte(name)


def collect(uow, ids: list[int]) -> None:
    """Hand these ids (rows written in uow's transaction) to the queue once it commits."""
    if ids:
        uow.after_commit(hand_over, *ids)


def hand_over(ids: list[int]) -> int:
    """Enqueue one send task per id, all in one batch (one Redis round trip); returns how many were queued.

    Never raises: the rows are committed, so when the queue is unreachable the sweeper
    (shared.jobs.tasks.requeue_unsent) finds them within a minute or two and the caller's
    request still succeeds.
    """
    if not ids:
        return 0
    try:
        # Imported here: functions that never write notifications need not load the queue at all.
        from shared.notifications.sending import queue

        queue(ids)
    except Exception:
        # On Redis the batch is one atomic LPUSH, so none was queued; elsewhere a few may have been, and
        # the sweeper queuing them again is harmless (delivery claims each row before sending).
        log.warning("could not queue notifications %s; the sweeper will send them", ids, exc_info=True)
        return 0
    return len(ids)
