"""Export: everything the product holds about one client for one professional, notes decrypted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, or_, select

from shared.catalog.service import MAX_ID
from shared.errors import NotFound
from shared.models import Appointment, AppointmentRequest, AuditLog, Client, Notification, Professional
from shared.privacy.rows import plain, row_dict

# Stored only as hashes or for delivery bookkeeping; nothing a client can use or needs.
_NOTIFICATION_INTERNALS = frozenset({"dedupe_key", "claimed_at", "attempts"})


def get_client(session, *, professional_id: int, client_id: int, lock: bool = False) -> Client:
    """One of the professional's clients (locked when asked); NotFound for anyone else's."""
    client = None
    if client_id <= MAX_ID:
        query = select(Client).where(Client.id == client_id, Client.professional_id == professional_id)
        client = session.scalar(query.with_for_update() if lock else query)
    if client is None:
        raise NotFound("The client does not exist.")
    return client


def related(session, client: Client) -> tuple[list[Appointment], list[AppointmentRequest]]:
    """The client's appointments, and the appointment requests made with their email, oldest first."""
    appointments = list(session.scalars(
        select(Appointment).where(Appointment.professional_id == client.professional_id,
                                  Appointment.client_id == client.id)
        .order_by(Appointment.start_datetime, Appointment.id)))
    requests = list(session.scalars(
        select(AppointmentRequest).where(AppointmentRequest.professional_id == client.professional_id,
                                         AppointmentRequest.client_email == client.email)
        .order_by(AppointmentRequest.created_at, AppointmentRequest.id)))
    return appointments, requests


def notifications_about(client: Client, appointment_ids: list[int], request_ids: list[int]):
    """The condition matching the professional's notifications to the client or about their bookings."""
    return and_(Notification.professional_id == client.professional_id,
                or_(Notification.recipient == client.email, Notification.appointment_id.in_(appointment_ids),
                    Notification.appointment_request_id.in_(request_ids)))


def audit_about(client: Client, appointment_ids: list[int], request_ids: list[int]):
    """The condition matching the professional's audit rows that name the client or their bookings."""
    return and_(AuditLog.professional_id == client.professional_id,
                or_(and_(AuditLog.entity_type == "client", AuditLog.entity_id == client.id),
                    and_(AuditLog.entity_type == "appointment", AuditLog.entity_id.in_(appointment_ids)),
                    and_(AuditLog.entity_type == "appointment_request", AuditLog.entity_id.in_(request_ids)),
                    AuditLog.metadata_["client_id"].astext == str(client.id)))


def export_client(uow, *, professional_id: int, client_id: int,
                  now: dt.datetime | None = None) -> dict[str, Any]:
    """The client's row, appointments, requests, notifications and audit entries, as plain data."""
    session = uow.session
    client = get_client(session, professional_id=professional_id, client_id=client_id)
    professional = session.get(Professional, professional_id)
    appointments, requests = related(session, client)
    appointment_ids, request_ids = [a.id for a in appointments], [r.id for r in requests]
    notifications = session.scalars(select(Notification).where(
        notifications_about(client, appointment_ids, request_ids)).order_by(Notification.id))
    audit_rows = session.scalars(select(AuditLog).where(
        audit_about(client, appointment_ids, request_ids)).order_by(AuditLog.id))
    return {
        "exported_at": plain(now or dt.datetime.now(dt.UTC)),
        "professional": {"id": professional.id, "business_name": professional.business_name},
        "client": row_dict(client),
        "appointments": [row_dict(a) for a in appointments],
        "appointment_requests": [row_dict(r) for r in requests],
        "notifications": [row_dict(n, leave_out=_NOTIFICATION_INTERNALS) for n in notifications],
        "audit_logs": [row_dict(a) for a in audit_rows],
    }
