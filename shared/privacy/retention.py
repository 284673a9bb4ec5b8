"""Retention: notifications and the personal parts of audit rows are kept only RECORD_RETENTION_MONTHS."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, literal, or_, update
from sqlalchemy.dialects.postgresql import JSONB

from shared.models import AuditLog, Notification


def purge_expired(uow, *, months: int, now: dt.datetime) -> dict[str, int]:
    """Delete notifications older than `months`, and strip older audit rows to what happened (action,
    entity, time): their metadata and client address go. Returns how many rows of each were touched."""
    cutoff = literal(now) - func.make_interval(0, months)
    session = uow.session
    bulk = {"synchronize_session": False}
    notifications = session.execute(delete(Notification).where(Notification.created_at < cutoff),
                                    execution_options=bulk).rowcount
    audit_rows = session.execute(
        update(AuditLog).where(AuditLog.created_at < cutoff,
                               or_(AuditLog.ip_address.is_not(None),
                                   AuditLog.metadata_ != literal({}, JSONB)))
        .values(ip_address=None, metadata_=literal({}, JSONB)), execution_options=bulk
    ).rowcount
    uow.commit()
    return {"notifications_deleted": notifications, "audit_logs_stripped": audit_rows}
