"""The outbox: notifications are rows written in the caller's transaction; a job sends them after commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.dialects.postgresql import insert

from shared.models import Notification


def enqueue(session, *, kind: str, recipient: str, professional_id: int | None = None,
            user_id: int | None = None, appointment_id: int | None = None,
            appointment_request_id: int | None = None, payload: dict[str, Any] | None = None,
            dedupe_key: str | None = None, scheduled_for: dt.datetime | None = None) -> int | None:
    """Write one pending notification; with a dedupe_key an existing twin wins and None is returned."""
    values = {
        "kind": kind, "recipient": recipient, "professional_id": professional_id, "user_id": user_id,
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
