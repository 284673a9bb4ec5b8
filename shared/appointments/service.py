"""The professional's appointments: list, show, book, change and cancel, always scoped to their own rows."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from shared.appointments import booking, changes, effects
from shared.appointments.booking import utcnow
from shared.appointments.effects import SYSTEM, Actor
from shared.appointments.states import check_transition
from shared.appointments.views import AppointmentView, appointment_view
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, Professional


def overlap_conflict(professional: Professional, other: Appointment | None = None) -> Conflict:
    """The 409 the professional sees; it names the appointment in the way when it is known."""
    if other is None:
        return Conflict(booking.OVERLAP, slug="overlap")
    start = booking.local(other.start_datetime, professional.timezone)
    end = booking.local(other.end_datetime, professional.timezone)
    return Conflict(f"The time overlaps another appointment ({start:%Y-%m-%d %H:%M}-{end:%H:%M}).",
                    slug="overlap", conflicting_appointment_id=other.id)


def ensure_free(session, professional: Professional, *, start: dt.datetime, end: dt.datetime,
                exclude_id: int | None = None) -> None:
    """Conflict when an active appointment of the professional overlaps [start, end)."""
    other = booking.find_overlap(session, professional_id=professional.id, start=start, end=end,
                                 exclude_id=exclude_id)
    if other is not None:
        raise overlap_conflict(professional, other)


def _query(professional_id: int):
    return (select(Appointment)
            .options(joinedload(Appointment.client), joinedload(Appointment.service))
            .where(Appointment.professional_id == professional_id))


def _load(session, *, professional_id: int, appointment_id: int, lock: bool = False) -> Appointment:
    appointment = None
    if appointment_id <= booking.MAX_ID:
        query = _query(professional_id).where(Appointment.id == appointment_id)
        if lock:
            # Concurrent changes to one appointment queue up instead of overwriting each other.
            query = query.with_for_update(of=Appointment)
        appointment = session.scalars(query).unique().one_or_none()
    if appointment is None:
        raise NotFound("The appointment does not exist.")
    return appointment


def get(uow, *, professional_id: int, appointment_id: int) -> AppointmentView:
    """One of the professional's appointments; NotFound for anyone else's."""
    professional = booking.get_professional(uow.session, professional_id)
    appointment = _load(uow.session, professional_id=professional_id, appointment_id=appointment_id)
    return appointment_view(appointment, professional.timezone)


def _bound(value: dt.date | dt.datetime, zone: ZoneInfo, *, end: bool) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    # A date is the professional's calendar day; as an upper bound it includes the whole day.
    day = value + dt.timedelta(days=1) if end else value
    return dt.datetime.combine(day, dt.time(0), zone)


def get_all(uow, *, professional_id: int, limit: int, offset: int, date_from: dt.date | None = None,
            date_to: dt.date | None = None, status: list[str] | None = None, client_id: int | None = None,
            service_id: int | None = None) -> tuple[list[AppointmentView], int]:
    """A page of the professional's appointments overlapping [from, to), ordered by start, and the total."""
    professional = booking.get_professional(uow.session, professional_id)
    zone = ZoneInfo(professional.timezone)
    query = _query(professional_id)
    if date_from is not None:
        query = query.where(Appointment.end_datetime > _bound(date_from, zone, end=False))
    if date_to is not None:
        query = query.where(Appointment.start_datetime < _bound(date_to, zone, end=True))
    if status:
        query = query.where(Appointment.status.in_([AppointmentStatus(s) for s in status]))
    if client_id is not None:
        query = query.where(Appointment.client_id == client_id)
    if service_id is not None:
        query = query.where(Appointment.service_id == service_id)
    total = uow.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = uow.session.scalars(
        query.order_by(Appointment.start_datetime, Appointment.id).limit(limit).offset(offset)).unique()
    return [appointment_view(a, professional.timezone) for a in rows], total


def create(uow, *, professional_id: int, appointment_in: dict[str, Any], actor: Actor = SYSTEM,
           now: dt.datetime | None = None) -> AppointmentView:
    """Book a client into one of the professional's active services.

    The professional may book outside their availability, never over another pending or confirmed
    appointment (Conflict). The client is an existing one (client_id) or found/created by email.
    """
    session = uow.session
    professional = booking.get_professional(session, professional_id)
    service = booking.get_service(session, professional_id=professional_id,
                                  service_id=appointment_in["service_id"])
    if not service.is_active:
        raise ValidationFailed(errors={"service_id": ["The service is not active."]})
    client = None
    if "client_id" in appointment_in:
        client = booking.get_client(session, professional_id=professional_id,
                                    client_id=appointment_in["client_id"])
    start = appointment_in["start_datetime"].astimezone(dt.UTC)
    end = start + dt.timedelta(minutes=service.duration_minutes)
    ensure_free(session, professional, start=start, end=end)
    if client is None:
        client = booking.find_or_create_client(session, professional_id=professional_id,
                                               **appointment_in["client"])
    status = appointment_in.get("status") or professional.settings.default_appointment_status.value
    appointment = Appointment(professional_id=professional_id, client_id=client.id, service_id=service.id,
                              start_datetime=start, end_datetime=end, status=AppointmentStatus(status),
                              notes=appointment_in.get("notes"))
    session.add(appointment)
    booking.flush_booking(session, overlap_conflict(professional))
    session.refresh(appointment)
    booking.issue_link(session, professional_id=professional_id, appointment=appointment,
                       expires_at=booking.link_expiry(end))
    effects.booked(session, professional, appointment, client, by_client=False)
    effects.record(session, actor, action="appointment.created", professional_id=professional_id,
                   entity_type="appointment", entity_id=appointment.id,
                   metadata={"status": appointment.status.value, "start": start.isoformat(),
                             "service_id": service.id, "client_id": client.id})
    booking.commit_booking(uow, overlap_conflict(professional), creates_appointment=True)
    return appointment_view(appointment, professional.timezone, client=client, service=service)


def update(uow, *, professional_id: int, appointment_id: int, appointment_in: dict[str, Any],
           actor: Actor = SYSTEM, now: dt.datetime | None = None) -> AppointmentView:
    """Reschedule, re-note, re-assign or change the status of one of the professional's appointments.

    Giving the current value again changes nothing (200, no side effects). A reschedule keeps the
    no-overlap rule, re-derives the end and bumps the calendar sequence; it is only possible while
    the appointment is pending or confirmed and cannot be combined with cancelling or completing.
    """
    now = utcnow(now)
    session = uow.session
    professional = booking.get_professional(session, professional_id)
    appointment = _load(session, professional_id=professional_id, appointment_id=appointment_id, lock=True)
    client, service = appointment.client, appointment.service

    target = appointment_in.get("status")
    status_changes = target is not None and check_transition(
        appointment.status, target, start=appointment.start_datetime, now=now)
    new_start = appointment_in.get("start_datetime")
    moves = new_start is not None and new_start != appointment.start_datetime
    if moves and appointment.status not in ACTIVE_STATUSES:
        raise Conflict(f"The appointment is {appointment.status.value}; only pending or confirmed "
                       "appointments can be rescheduled.", slug="invalid-status-change",
                       current_status=appointment.status.value)
    if moves and status_changes and AppointmentStatus(target) not in ACTIVE_STATUSES:
        raise Conflict("Reschedule and cancel or complete in separate requests.",
                       slug="invalid-status-change", current_status=appointment.status.value)

    changed: list[str] = []
    if "client_id" in appointment_in and appointment_in["client_id"] != appointment.client_id:
        client = booking.get_client(session, professional_id=professional_id,
                                    client_id=appointment_in["client_id"])
        appointment.client_id = client.id
        changed.append("client_id")
        # The previous client's link must not manage someone else's appointment; the new client gets one.
        booking.revoke_links(session, appointment, now)
        booking.issue_link(session, professional_id=professional_id, appointment=appointment,
                           expires_at=booking.link_expiry(appointment.end_datetime))
    if "notes" in appointment_in and appointment_in["notes"] != appointment.notes:
        appointment.notes = appointment_in["notes"]
        changed.append("notes")
    if moves:
        end = new_start + dt.timedelta(minutes=service.duration_minutes)
        ensure_free(session, professional, start=new_start, end=end, exclude_id=appointment.id)
        changes.reschedule(session, professional=professional, appointment=appointment, client=client,
                           service=service, start=new_start, actor=actor, by_client=False,
                           conflict=overlap_conflict(professional))
    if status_changes:
        changes.change_status(session, professional=professional, appointment=appointment, client=client,
                              target=AppointmentStatus(target), now=now, actor=actor,
                              reason=appointment_in.get("reason"))
    if changed:
        effects.record(session, actor, action="appointment.updated", professional_id=professional_id,
                       entity_type="appointment", entity_id=appointment.id, metadata={"fields": changed})
    if changed or moves or status_changes:
        booking.flush_booking(session, overlap_conflict(professional))
        session.refresh(appointment)
        booking.commit_booking(uow, overlap_conflict(professional))
    return appointment_view(appointment, professional.timezone, client=client, service=service)


def cancel(uow, *, professional_id: int, appointment_id: int, reason: str | None = None,
           actor: Actor = SYSTEM, now: dt.datetime | None = None) -> AppointmentView:
    """Cancel by the professional (the row stays); Conflict naming the status if already cancelled or done."""
    now = utcnow(now)
    session = uow.session
    professional = booking.get_professional(session, professional_id)
    appointment = _load(session, professional_id=professional_id, appointment_id=appointment_id, lock=True)
    target = AppointmentStatus.cancelled_by_professional
    if appointment.status == target:
        raise Conflict(f"The appointment is already {target.value}.", slug="invalid-status-change",
                       current_status=target.value)
    check_transition(appointment.status, target, start=appointment.start_datetime, now=now)
    changes.change_status(session, professional=professional, appointment=appointment,
                          client=appointment.client, target=target, now=now, actor=actor, reason=reason)
    session.refresh(appointment)
    uow.commit()
    return appointment_view(appointment, professional.timezone)
