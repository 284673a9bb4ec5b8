"""Retention: notifications and the personal parts of audit rows are kept only RECORD_RETENTION_MONTHS, and
so are the clients the public page wrote down for bookings nobody confirmed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, exists, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB

from shared.appointments.lookups import transaction_lock
from shared.appointments.rules import public_booking_lock
from shared.models import (
    Appointment,
    AppointmentStatus,
    AuditLog,
    Client,
    Notification,
    came_only_with_unconfirmed_bookings,
)


def purge_expired(uow, *, months: int, now: dt.datetime) -> dict[str, int]:
    """Delete notifications older than `months`, and strip older audit rows to what happened (action,
    entity, time): their metadata and client address go. Delete the clients who only ever had holds
    nobody confirmed, all lapsed before then, with those holds. Returns how many rows of each were
    touched."""
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
    clients = _forget_unconfirmed_clients(uow, cutoff)
    return {"notifications_deleted": notifications, "audit_logs_stripped": audit_rows,
            "unconfirmed_clients_deleted": clients}


def _forget_unconfirmed_clients(uow, cutoff) -> int:
    """Delete each client the professional's list leaves out (models.came_only_with_unconfirmed_bookings)
    whose holds all lapsed before `cutoff`, and those holds (their e-mails and links go with them).

    A public booking by the same address may find that client row at the same moment: each client is
    taken under the advisory lock those bookings take, then its row lock, and checked again by a statement
    that starts after both, so a booking is either seen (the client stays) or comes after (and writes a
    new client row). Each client is a transaction of its own, so the locks are held for one client at a
    time, however many a first run finds."""
    session = uow.session
    lapsed_long_ago = ~exists().where(
        Appointment.client_id == Client.id,
        or_(Appointment.status != AppointmentStatus.expired, Appointment.hold_expires_at >= cutoff))
    forgettable = came_only_with_unconfirmed_bookings() & lapsed_long_ago
    candidates = session.execute(
        select(Client.id, Client.professional_id, Client.email).where(forgettable).order_by(Client.id)).all()
    bulk = {"synchronize_session": False}
    deleted = 0
    for client_id, professional_id, email in candidates:
        prefix, suffix = public_booking_lock(email)
        session.execute(select(transaction_lock(prefix, professional_id, suffix)))
        session.execute(select(Client.id).where(Client.id == client_id).with_for_update())
        if session.scalar(select(Client.id).where(Client.id == client_id, forgettable)) is None:
            uow.rollback()
            continue
        session.execute(delete(Appointment).where(Appointment.client_id == client_id), execution_options=bulk)
        session.execute(delete(Client).where(Client.id == client_id), execution_options=bulk)
        uow.commit()
        deleted += 1
    return deleted
