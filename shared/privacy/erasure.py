"""Erasure: a client's personal data removed everywhere; their past appointments stay, without the person.

Refused while the client still has something ahead (an upcoming pending or confirmed appointment, a
pending request): the professional cancels or rejects it first, through the usual path, so the client
gets the usual e-mail. Refused too while such an e-mail is still waiting in the outbox, since erasing
drops every unsent message to the client and the notice would never leave.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB

from shared import audit
from shared.accounts.common import NO_ORIGIN, Origin
from shared.errors import Conflict
from shared.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentRequest,
    AuditLog,
    Client,
    Notification,
    NotificationStatus,
    PublicLink,
    RequestStatus,
)
from shared.privacy.export import audit_about, get_client, notifications_about, related

ERASED_NAME = "Erased client"
# The e-mails that tell a client something ended: erasure waits until they have left.
CLOSING_NOTICES = ("cancelled_by_professional", "cancellation_confirmation", "request_rejected")
UNSENT = (NotificationStatus.pending, NotificationStatus.sending)


def erased_email(client_id: int) -> str:
    # Unique per professional like any client email, and no one's address (.invalid is reserved).
    return f"erased-{client_id}@erased.invalid"


def refuse_while_anything_is_ahead(session, *, professional_id: int, now: dt.datetime,
                                   client: Client | None = None) -> None:
    """Conflict while an appointment or request (of `client`, or of anyone) is ahead, or a closing notice
    to them is still unsent: erasing first would leave someone uninformed."""
    appointments = select(Appointment.id).where(
        Appointment.professional_id == professional_id, Appointment.status.in_(ACTIVE_STATUSES),
        Appointment.end_datetime > now).order_by(Appointment.start_datetime)
    requests = select(AppointmentRequest.id).where(AppointmentRequest.professional_id == professional_id,
                                                   AppointmentRequest.status == RequestStatus.pending)
    notices = select(func.count()).select_from(Notification).where(
        Notification.professional_id == professional_id, Notification.type.in_(CLOSING_NOTICES),
        Notification.status.in_(UNSENT))
    if client is not None:
        appointments = appointments.where(Appointment.client_id == client.id)
        requests = requests.where(AppointmentRequest.client_email == client.email)
        notices = notices.where(Notification.recipient == client.email)
    upcoming, waiting = list(session.scalars(appointments)), list(session.scalars(requests))
    if upcoming or waiting:
        raise Conflict("There are upcoming appointments or pending requests; cancel or reject them first "
                       "(the client is told as usual), then erase.",
                       slug="client-has-upcoming-appointments", appointment_ids=upcoming,
                       appointment_request_ids=waiting)
    if session.scalar(notices):
        raise Conflict("An e-mail telling a client of a cancellation is still being sent; try again in a "
                       "few minutes.", slug="client-notice-unsent")


def erase(session, client: Client, *, actor_user_id: int | None, origin: Origin,
          now: dt.datetime) -> dict[str, Any]:
    """Remove the person from every row about them (in the caller's transaction); counts of what was done."""
    appointments, requests = related(session, client)
    appointment_ids, request_ids = [a.id for a in appointments], [r.id for r in requests]
    # Messages to the client go (sent ones hold the address; unsent ones are dropped); the professional's
    # own messages about them stay, without the free text they carried.
    bulk = {"synchronize_session": False}
    dropped = session.execute(delete(Notification).where(
        notifications_about(client, appointment_ids, request_ids), Notification.recipient == client.email),
        execution_options=bulk).rowcount
    session.execute(update(Notification).where(notifications_about(client, appointment_ids, request_ids))
                    .values(payload={}, error_message=None), execution_options=bulk)
    session.execute(update(AuditLog).where(audit_about(client, appointment_ids, request_ids))
                    .values(ip_address=None,
                            metadata_=AuditLog.metadata_.op("-", return_type=JSONB)(literal("reason"))),
                    execution_options=bulk)
    session.execute(delete(PublicLink).where(PublicLink.appointment_id.in_(appointment_ids)),
                    execution_options=bulk)
    for appointment in appointments:
        appointment.notes = appointment.client_comment = None
    session.execute(delete(AppointmentRequest).where(AppointmentRequest.id.in_(request_ids)),
                    execution_options=bulk)
    client.name, client.email, client.phone, client.notes = ERASED_NAME, erased_email(client.id), None, None
    summary = {"appointments_kept": len(appointment_ids), "appointment_requests_erased": len(request_ids),
               "notifications_erased": dropped}
    # Says that an erasure happened, never who: the id now names an anonymous row.
    audit.record(session, action="client.erased", actor_user_id=actor_user_id,
                 professional_id=client.professional_id, entity_type="client", entity_id=client.id,
                 ip_address=origin.audit_ip, request_id=origin.request_id, metadata=summary)
    session.flush()
    return {"id": client.id, "erased_at": now, **summary}


def erase_client(uow, *, professional_id: int, client_id: int, actor_user_id: int | None = None,
                 origin: Origin = NO_ORIGIN, now: dt.datetime | None = None) -> dict[str, Any]:
    """Erase one of the professional's clients; returns what was done, in counts (no personal data)."""
    now = now or dt.datetime.now(dt.UTC)
    session = uow.session
    client = get_client(session, professional_id=professional_id, client_id=client_id, lock=True)
    refuse_while_anything_is_ahead(session, professional_id=professional_id, now=now, client=client)
    done = erase(session, client, actor_user_id=actor_user_id, origin=origin, now=now)
    uow.commit()
    return done
