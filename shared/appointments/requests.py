"""Deciding appointment requests: the professional accepts (the appointment is made) or rejects; those
nobody answered before their time expire. A client records a request by booking (book.book) on the page of
a professional who confirms by hand."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from shared.appointments import lookups, notices, rules
from shared.appointments.actors import SYSTEM, Actor
from shared.appointments.book import create_appointment
from shared.appointments.effects import Effects
from shared.appointments.views import RequestView, request_view
from shared.clock import utcnow
from shared.errors import Conflict
from shared.models import AppointmentRequest, AppointmentStatus, Professional, RequestStatus, Service


def _pending(session, actor: Actor, request_id: int) -> tuple[Professional, AppointmentRequest, Service]:
    """The professional, and their request (locked) with its service; Conflict unless it is pending."""
    professional = lookups.professional(session, actor.professional_id)
    request, service = lookups.request(session, professional_id=professional.id, request_id=request_id)
    if request.status != RequestStatus.pending:
        raise Conflict(f"The request is already {request.status.value}.", slug="request-decided",
                       current_status=request.status.value)
    return professional, request, service


def accept(uow, actor: Actor, request_id: int, *, now: dt.datetime | None = None) -> RequestView:
    """Turn a pending request into a confirmed appointment (client found or created by e-mail).

    Conflict when the time has passed or is no longer free (the check, then the exclusion constraint).
    """
    now = utcnow(now)
    session = uow.session
    professional, request, service = _pending(session, actor, request_id)
    if request.requested_datetime <= now:
        raise Conflict("The requested time has passed; the request can no longer be accepted.",
                       slug="request-decided", current_status=request.status.value)
    rules.check_time(session, actor.policy, professional, service, start=request.requested_datetime,
                     end=request.end_datetime, now=now)
    client = lookups.find_or_create_client(session, professional_id=professional.id, name=request.client_name,
                                           email=request.client_email, phone=request.client_phone)
    effects = Effects(uow, actor, professional)
    appointment, _token = create_appointment(
        effects, service, client, start=request.requested_datetime, end=request.end_datetime, now=now,
        status=AppointmentStatus.confirmed, client_comment=request.client_comment, public=True,
        audit_extra={"appointment_request_id": request.id})
    request.status, request.appointment_id, request.decided_at = RequestStatus.accepted, appointment.id, now
    notices.request_accepted(effects, request, appointment)
    effects.audit("appointment_request.accepted", entity=request, metadata={"appointment_id": appointment.id})
    return effects.commit(actor.policy.conflict(professional),
                          lambda: request_view(request, service, professional.timezone))


def reject(uow, actor: Actor, request_id: int, *, reason: str | None = None,
           now: dt.datetime | None = None) -> RequestView:
    """Decline a pending request, optionally with a reason the client is told."""
    now = utcnow(now)
    professional, request, service = _pending(uow.session, actor, request_id)
    request.status, request.decided_at = RequestStatus.rejected, now
    effects = Effects(uow, actor, professional)
    notices.request_rejected(effects, request, reason)
    effects.audit("appointment_request.rejected", entity=request,
                  metadata={"reason": reason} if reason else None)
    return effects.commit(answer=lambda: request_view(request, service, professional.timezone))


def expire(uow, *, now: dt.datetime | None = None) -> int:
    """Mark every pending request whose start has passed as expired; returns how many (a periodic job)."""
    now = utcnow(now)
    expired = uow.session.execute(
        update(AppointmentRequest)
        .where(AppointmentRequest.status == RequestStatus.pending,
               AppointmentRequest.requested_datetime <= now)
        .values(status=RequestStatus.expired, decided_at=now)
        .returning(AppointmentRequest)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    effects = Effects(uow, SYSTEM)
    for request in expired:
        effects.audit("appointment_request.expired", entity=request)
    effects.commit()
    return len(expired)
