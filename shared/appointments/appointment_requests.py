"""Appointment requests: a client asks for a time; the professional accepts or rejects; old ones expire."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, select, update

from shared.appointments import booking, effects
from shared.appointments.booking import utcnow
from shared.appointments.effects import SYSTEM, Actor
from shared.appointments.service import ensure_free, overlap_conflict
from shared.appointments.views import RequestView, request_view
from shared.errors import Conflict, NotFound
from shared.models import Appointment, AppointmentRequest, AppointmentStatus, RequestStatus, Service


def _with_service(professional_id: int):
    return (select(AppointmentRequest, Service)
            .join(Service, and_(Service.id == AppointmentRequest.service_id,
                                Service.professional_id == AppointmentRequest.professional_id))
            .where(AppointmentRequest.professional_id == professional_id))


def get_all_requests(uow, *, professional_id: int, limit: int, offset: int,
                     status: list[str] | None = None) -> tuple[list[RequestView], int]:
    """A page of the professional's requests (optionally of some statuses), ordered by requested start."""
    professional = booking.get_professional(uow.session, professional_id)
    query = _with_service(professional_id)
    if status:
        query = query.where(AppointmentRequest.status.in_([RequestStatus(s) for s in status]))
    total = uow.session.scalar(select(func.count()).select_from(query.subquery()))
    order = (AppointmentRequest.requested_datetime, AppointmentRequest.id)
    rows = uow.session.execute(query.order_by(*order).limit(limit).offset(offset))
    return [request_view(request, service, professional.timezone) for request, service in rows], total


def _pending(session, *, professional_id: int, request_id: int) -> tuple[AppointmentRequest, Service]:
    """One of the professional's requests, locked; Conflict naming its status unless it is pending."""
    row = None
    if request_id <= booking.MAX_ID:
        row = session.execute(
            _with_service(professional_id).where(AppointmentRequest.id == request_id)
            .with_for_update(of=AppointmentRequest)).one_or_none()
    if row is None:
        raise NotFound("The appointment request does not exist.")
    request, service = row
    if request.status != RequestStatus.pending:
        raise Conflict(f"The request is already {request.status.value}.", slug="request-decided",
                       current_status=request.status.value)
    return request, service


def accept_request(uow, *, professional_id: int, request_id: int, actor: Actor = SYSTEM,
                   now: dt.datetime | None = None) -> RequestView:
    """Turn a pending request into a confirmed appointment (client found or created by email).

    Conflict when the time has passed or is no longer free (app check, then the exclusion constraint).
    """
    now = utcnow(now)
    session = uow.session
    professional = booking.get_professional(session, professional_id)
    request, service = _pending(session, professional_id=professional_id, request_id=request_id)
    if request.requested_datetime <= now:
        raise Conflict("The requested time has passed; the request can no longer be accepted.",
                       slug="request-decided", current_status=request.status.value)
    ensure_free(session, professional, start=request.requested_datetime, end=request.end_datetime)
    client = booking.find_or_create_client(session, professional_id=professional_id, name=request.client_name,
                                           email=request.client_email, phone=request.client_phone)
    appointment = Appointment(
        professional_id=professional_id, client_id=client.id, service_id=service.id,
        start_datetime=request.requested_datetime, end_datetime=request.end_datetime,
        status=AppointmentStatus.confirmed, client_comment=request.client_comment,
        created_from_public_link=True)
    session.add(appointment)
    booking.flush_booking(session, overlap_conflict(professional))
    request.status, request.appointment_id, request.decided_at = RequestStatus.accepted, appointment.id, now
    booking.issue_link(session, professional_id=professional_id, appointment=appointment,
                       expires_at=booking.link_expiry(appointment.end_datetime))
    effects.request_accepted(session, professional, request, appointment)
    effects.record(session, actor, action="appointment.created", professional_id=professional_id,
                   entity_type="appointment", entity_id=appointment.id,
                   metadata={"status": appointment.status.value,
                             "start": appointment.start_datetime.isoformat(),
                             "service_id": service.id, "client_id": client.id,
                             "appointment_request_id": request.id})
    effects.record(session, actor, action="appointment_request.accepted", professional_id=professional_id,
                   entity_type="appointment_request", entity_id=request.id,
                   metadata={"appointment_id": appointment.id})
    booking.flush_booking(session, overlap_conflict(professional))
    session.refresh(request)
    booking.commit_booking(uow, overlap_conflict(professional), creates_appointment=True)
    return request_view(request, service, professional.timezone)


def reject_request(uow, *, professional_id: int, request_id: int, reject_in: dict[str, Any] | None = None,
                   actor: Actor = SYSTEM, now: dt.datetime | None = None) -> RequestView:
    """Decline a pending request, optionally with a reason the client is told."""
    now = utcnow(now)
    session = uow.session
    professional = booking.get_professional(session, professional_id)
    request, service = _pending(session, professional_id=professional_id, request_id=request_id)
    reason = (reject_in or {}).get("reason")
    request.status, request.decided_at = RequestStatus.rejected, now
    effects.request_rejected(session, professional, request, reason)
    effects.record(session, actor, action="appointment_request.rejected", professional_id=professional_id,
                   entity_type="appointment_request", entity_id=request.id,
                   metadata={"reason": reason} if reason else None)
    session.flush()
    session.refresh(request)
    uow.commit()
    return request_view(request, service, professional.timezone)


def expire_requests(uow, now: dt.datetime | None = None) -> int:
    """Mark every pending request whose start has passed as expired; returns how many (a periodic job)."""
    now = utcnow(now)
    session = uow.session
    expired = session.execute(
        update(AppointmentRequest)
        .where(AppointmentRequest.status == RequestStatus.pending,
               AppointmentRequest.requested_datetime <= now)
        .values(status=RequestStatus.expired, decided_at=now)
        .returning(AppointmentRequest.id, AppointmentRequest.professional_id)
        .execution_options(synchronize_session=False)
    ).all()
    for request_id, professional_id in expired:
        effects.record(session, SYSTEM, action="appointment_request.expired", professional_id=professional_id,
                       entity_type="appointment_request", entity_id=request_id)
    uow.commit()
    return len(expired)
