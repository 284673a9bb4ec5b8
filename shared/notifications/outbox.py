"""The outbox: notifications are rows written in the caller's transaction; a job sends them after commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, union_all
from sqlalchemy.dialects.postgresql import insert

from shared.models import Notification


def enqueue(session, *, type: str, recipient: str, professional_id: int | None = None,
            user_id: int | None = None, appointment_id: int | None = None,
            appointment_request_id: int | None = None, payload: dict[str, Any] | None = None,
            dedupe_key: str | None = None, scheduled_for: dt.datetime | None = None) -> int | None:
    """Write one pending notification; with a dedupe_key an existing twin wins and None is returned."""
    values = {
        "type": type, "recipient": recipient, "professional_id": professional_id, "user_id": user_id,
        "appointment_id": appointment_id, "appointment_request_id": appointment_request_id,
        "payload": payload or {}, "dedupe_key": dedupe_key,
    }
    if scheduled_for is not None:
        values["scheduled_for"] = scheduled_for
    statement = insert(Notification).values(**values).returning(Notification.id)
    if dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    notification_id = session.execute(statement).scalar_one_or_none()
    if notification_id is not None:
        session.info.setdefault("notifications_to_send", []).append(notification_id)
    return notification_id


def enqueue_many(session, rows: list[dict[str, Any]]) -> list[int]:
    """Write several pending notifications (enqueue()'s keyword arguments, no dedupe_key) in one INSERT.

    One round trip instead of one per row, for a change that tells more than one person at once.
    """
    if not rows:
        return []
    ids = list(session.scalars(insert_many(rows)))
    collect(session, ids)
    return ids


def insert_many(rows: list[dict[str, Any]], *ctes) -> Any:
    """One statement writing the rows and returning their ids; `ctes` (other data-modifying CTEs of the
    caller's) ride along in the same round trip. The caller passes the ids to collect().

    Each row is its own single-row INSERT ... RETURNING in a CTE, not one multi-row VALUES: SQLAlchemy
    does not cache the compiled form of a multi-row VALUES, and compiling it again on every booking cost
    more than the round trip it saved.
    """
    table = Notification.__table__
    fields = ("type", "recipient", "professional_id", "user_id", "appointment_id", "appointment_request_id")
    selects = []
    for number, row in enumerate(rows):
        values = {**{name: row.get(name) for name in fields}, "payload": row.get("payload") or {}}
        written = insert(table).values(values).returning(table.c.id).cte(f"notification_{number}")
        selects.append(select(written.c.id))
    statement = selects[0] if len(selects) == 1 else union_all(*selects)
    for cte in ctes:
        statement = statement.add_cte(cte)
    return statement


def collect(session, ids: list[int]) -> None:
    """Queue these committed-with-the-transaction notification ids for sending after commit."""
    session.info.setdefault("notifications_to_send", []).extend(ids)
