"""Side effects of appointment changes: outbox notifications (kinds per the contract) and audit rows.

Everything here only adds rows to the caller's session, so it commits, or rolls back, with the change.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from shared import audit
from shared.models import Appointment, AppointmentRequest, Client, Professional
from shared.notifications.outbox import enqueue, enqueue_many


@dataclass(frozen=True)
class Actor:
    """Who made a change, for the audit trail: a logged-in user, or an anonymous client (user_id None)."""

    user_id: int | None = None
    ip_address: str | None = None
    request_id: str | None = None


SYSTEM = Actor()


def _ip(value: str | None) -> str | None:
    # The audit column is INET: anything that is not an address ("unknown") is left out.
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def record(session, actor: Actor, *, action: str, professional_id: int, entity_type: str, entity_id: int,
           metadata: dict[str, Any] | None = None) -> None:
    """One audit row in the caller's transaction."""
    audit.record(session, action=action, actor_user_id=actor.user_id, professional_id=professional_id,
                 entity_type=entity_type, entity_id=entity_id, ip_address=_ip(actor.ip_address),
                 request_id=actor.request_id, metadata=metadata)


def audit_values(actor: Actor, *, action: str, professional_id: int, entity_type: str, entity_id: int,
                 metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """What record() writes, as column values for a statement that writes several rows at once."""
    return audit.row_values(action=action, actor_user_id=actor.user_id, professional_id=professional_id,
                            entity_type=entity_type, entity_id=entity_id, ip_address=_ip(actor.ip_address),
                            request_id=actor.request_id, metadata=metadata)


def _emails_on(professional: Professional) -> bool:
    return bool(professional.settings.email_notification_enabled)


def _to_client(session, professional: Professional, kind: str, *, email: str,
               appointment_id: int | None = None, request_id: int | None = None,
               payload: dict[str, Any] | None = None) -> None:
    if _emails_on(professional):
        enqueue(session, type=kind, recipient=email, professional_id=professional.id,
                appointment_id=appointment_id, appointment_request_id=request_id, payload=payload)


def _to_professional(session, professional: Professional, kind: str, *, appointment_id: int | None = None,
                     request_id: int | None = None, payload: dict[str, Any] | None = None) -> None:
    if _emails_on(professional):
        enqueue(session, type=kind, recipient=professional.user.email, professional_id=professional.id,
                appointment_id=appointment_id, appointment_request_id=request_id, payload=payload)


def booked(session, professional: Professional, appointment: Appointment, client: Client, *,
           by_client: bool) -> None:
    """A new appointment: the client hears it is confirmed, or received and awaiting confirmation; the
    professional hears of bookings they did not make themselves."""
    enqueue_many(session, booked_rows(professional, appointment, client, by_client=by_client))  # one INSERT


def booked_rows(professional: Professional, appointment: Appointment, client: Client, *,
                by_client: bool) -> list[dict[str, Any]]:
    """The outbox rows booked() writes (none with e-mails off), for a caller that writes them itself."""
    if not _emails_on(professional):
        return []
    kind = "booking_confirmation" if appointment.status == "confirmed" else "booking_received"
    rows = [{"type": kind, "recipient": client.email, "professional_id": professional.id,
             "appointment_id": appointment.id}]
    if by_client:
        rows.append({"type": "new_booking", "recipient": professional.user.email,
                     "professional_id": professional.id, "appointment_id": appointment.id})
    return rows


def confirmed(session, professional: Professional, appointment: Appointment, client: Client) -> None:
    """A pending appointment the professional confirmed: now the client gets the confirmation."""
    _to_client(session, professional, "booking_confirmation", email=client.email,
               appointment_id=appointment.id)


def rescheduled(session, professional: Professional, appointment: Appointment, client: Client, *,
                previous_start: str, by_client: bool) -> None:
    """A new time: the client always hears of it; the professional when the client moved it."""
    payload = {"previous_start": previous_start}
    _to_client(session, professional, "rescheduled", email=client.email, appointment_id=appointment.id,
               payload=payload)
    if by_client:
        _to_professional(session, professional, "rescheduled_professional", appointment_id=appointment.id,
                         payload=payload)


def cancelled(session, professional: Professional, appointment: Appointment, client: Client, *,
              reason: str | None = None, by_client_link: bool = False) -> None:
    """A cancellation, told to whoever did not make it (and confirmed to the client when it was them)."""
    if appointment.status == "cancelled_by_professional":
        _to_client(session, professional, "cancelled_by_professional", email=client.email,
                   appointment_id=appointment.id, payload={"reason": reason})
        return
    _to_client(session, professional, "cancellation_confirmation", email=client.email,
               appointment_id=appointment.id)
    if by_client_link:
        _to_professional(session, professional, "cancelled_by_client", appointment_id=appointment.id)


def request_received(session, professional: Professional, request: AppointmentRequest) -> None:
    """A client asked for a time: both sides hear of it."""
    _to_client(session, professional, "request_received", email=request.client_email, request_id=request.id)
    _to_professional(session, professional, "request_received_professional", request_id=request.id)


def request_accepted(session, professional: Professional, request: AppointmentRequest,
                     appointment: Appointment) -> None:
    """The professional accepted a request: the client gets the appointment."""
    _to_client(session, professional, "request_accepted", email=request.client_email, request_id=request.id,
               appointment_id=appointment.id)


def request_rejected(session, professional: Professional, request: AppointmentRequest,
                     reason: str | None) -> None:
    """The professional declined a request."""
    _to_client(session, professional, "request_rejected", email=request.client_email, request_id=request.id,
               payload={"reason": reason})
