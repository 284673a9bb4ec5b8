"""Reads: the professional's appointments and requests, and what a client's link shows. No writes here."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from shared.appointments import lookups
from shared.appointments.actors import Actor
from shared.appointments.states import CANCELLED
from shared.appointments.views import (
    AppointmentView,
    ClientAppointmentView,
    ClientRequestView,
    RequestView,
    appointment_view,
    client_appointment_view,
    client_request_view,
    request_view,
)
from shared.clock import utcnow
from shared.models import ACTIVE_STATUSES, Appointment, AppointmentRequest, AppointmentStatus, RequestStatus


def get(uow, actor: Actor, *, appointment_id: int) -> AppointmentView:
    """One of the professional's appointments; NotFound for anyone else's."""
    professional = lookups.professional(uow.session, actor.professional_id)
    appointment = lookups.appointment(uow.session, professional_id=professional.id,
                                      appointment_id=appointment_id)
    return appointment_view(appointment, professional.timezone)


def _bound(value: dt.date | dt.datetime, zone: ZoneInfo, *, end: bool) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    # A date is the professional's calendar day; as an upper bound it includes the whole day.
    day = value + dt.timedelta(days=1) if end else value
    return dt.datetime.combine(day, dt.time(0), zone)


def get_all(uow, actor: Actor, *, limit: int, offset: int, date_from: dt.date | None = None,
            date_to: dt.date | None = None, status: list[str] | None = None, client_id: int | None = None,
            service_id: int | None = None) -> tuple[list[AppointmentView], int]:
    """A page of the professional's appointments overlapping [from, to), ordered by start, and the total."""
    professional = lookups.professional(uow.session, actor.professional_id)
    zone = ZoneInfo(professional.timezone)
    query = lookups.appointments_of(professional.id)
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


def get_all_requests(uow, actor: Actor, *, limit: int, offset: int,
                     status: list[str] | None = None) -> tuple[list[RequestView], int]:
    """A page of the professional's requests (optionally of some statuses), ordered by requested start."""
    professional = lookups.professional(uow.session, actor.professional_id)
    query = lookups.requests_of(professional.id)
    if status:
        query = query.where(AppointmentRequest.status.in_([RequestStatus(s) for s in status]))
    total = uow.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = uow.session.execute(
        query.order_by(AppointmentRequest.requested_datetime, AppointmentRequest.id).limit(limit)
        .offset(offset))
    return [request_view(request, service, professional.timezone) for request, service in rows], total


def get_by_token(uow, *, token: str,
                 now: dt.datetime | None = None) -> ClientAppointmentView | ClientRequestView:
    """What the holder of a client's link may see of their appointment (or request)."""
    now = utcnow(now)
    session = uow.session
    linked = lookups.link(session, token, now)
    professional = linked.professional
    if linked.link.appointment_id is None:
        request = session.get(AppointmentRequest, linked.link.appointment_request_id)
        service = lookups.service(session, professional_id=professional.id, service_id=request.service_id)
        return client_request_view(request, professional, service)
    appointment = lookups.linked_appointment(session, linked, lock=False)
    view = client_appointment_view(appointment, professional, appointment.service, now=now)
    if view.can_cancel and appointment.series_id is not None \
            and professional.settings.allow_client_series_cancel:
        later = session.scalar(select(func.count()).select_from(Appointment).where(
            Appointment.series_id == appointment.series_id, Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.recurrence_start > appointment.recurrence_start))
        view = replace(view, following_sessions=later)
    return view


def calendar_by_token(uow, *, token: str, manage_url: str, now: dt.datetime | None = None) -> bytes:
    """The appointment as an iCalendar file for the link's holder ("add to calendar"): the same UID and
    sequence as the e-mailed invitations, so a calendar keeps one event."""
    # icalendar costs the public function 9 MiB and most of its requests never need it.
    from shared.notifications import calendar

    now = utcnow(now)
    session = uow.session
    linked = lookups.link(session, token, now)
    professional = linked.professional
    appointment = lookups.linked_appointment(session, linked, lock=False)
    service, client = appointment.service, appointment.client
    return calendar.build_ics(
        method="CANCEL" if appointment.status in CANCELLED else "REQUEST",
        uid=calendar.appointment_uid(appointment.id), sequence=appointment.sequence,
        start=appointment.start_datetime, end=appointment.end_datetime,
        summary=f"{service.name} · {professional.business_name}",
        description=f"{service.name} · {professional.business_name}\n{manage_url}",
        organizer_email=professional.user.email, organizer_name=professional.business_name,
        attendee_email=client.email, attendee_name=client.name, stamp=now)
