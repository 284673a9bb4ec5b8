"""Plain read models the services return: ORM rows turned into what each audience may see, zone applied."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.appointments.actors import Policy
from shared.clock import local
from shared.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentRequest,
    AppointmentSeries,
    AppointmentStatus,
    Client,
    Professional,
    Service,
)


@dataclass(frozen=True)
class ClientSummary:
    id: int
    name: str
    email: str
    phone: str | None


def client_summary(client: Client) -> ClientSummary:
    return ClientSummary(id=client.id, name=client.name, email=client.email, phone=client.phone)


@dataclass(frozen=True)
class ServiceSummary:
    id: int
    name: str
    duration_minutes: int


def service_summary(service: Service) -> ServiceSummary:
    return ServiceSummary(id=service.id, name=service.name, duration_minutes=service.duration_minutes)


@dataclass(frozen=True)
class AppointmentView:
    """An appointment for its professional (AppointmentRead)."""

    id: int
    service_id: int
    client_id: int
    client: ClientSummary
    service: ServiceSummary
    start_datetime: dt.datetime
    end_datetime: dt.datetime
    timezone: str
    status: str
    notes: str | None
    client_comment: str | None
    created_from_public_link: bool
    cancelled_at: dt.datetime | None
    hold_expires_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    series_id: int | None = None


def appointment_view(appointment: Appointment, timezone: str, *, client: Client | None = None,
                     service: Service | None = None) -> AppointmentView:
    """The professional's view; `client` and `service` spare a load when the caller has them at hand."""
    a = appointment
    return AppointmentView(
        id=a.id, service_id=a.service_id, client_id=a.client_id, client=client_summary(client or a.client),
        service=service_summary(service or a.service),
        start_datetime=local(a.start_datetime, timezone), end_datetime=local(a.end_datetime, timezone),
        timezone=timezone, status=a.status.value, notes=a.notes,
        client_comment=a.client_comment,
        created_from_public_link=a.created_from_public_link, cancelled_at=local(a.cancelled_at, timezone),
        hold_expires_at=local(a.hold_expires_at, timezone) if a.status == AppointmentStatus.held else None,
        created_at=local(a.created_at, timezone), updated_at=local(a.updated_at, timezone),
        series_id=a.series_id,
    )


@dataclass(frozen=True)
class SeriesView:
    """A weekly series for its professional (AppointmentSeriesRead): the pattern, its appointments (by
    start) and the starts of the pattern that have no appointment (skipped when it was booked)."""

    id: int
    service_id: int
    client_id: int | None
    every_weeks: int
    count: int | None
    until: dt.date | None
    timezone: str
    start_datetime: dt.datetime
    appointments: list[AppointmentView]
    skipped: list[dt.datetime]
    created_at: dt.datetime
    updated_at: dt.datetime


def series_view(series: AppointmentSeries, appointments: list[AppointmentView],
                skipped: list[dt.datetime]) -> SeriesView:
    zone = series.timezone
    return SeriesView(
        id=series.id, service_id=series.service_id, client_id=series.client_id,
        every_weeks=series.every_weeks, count=series.count, until=series.until, timezone=zone,
        start_datetime=local(series.start_datetime, zone),
        appointments=sorted(appointments, key=lambda a: a.start_datetime),
        skipped=[local(moment, zone) for moment in sorted(skipped)],
        created_at=local(series.created_at, zone), updated_at=local(series.updated_at, zone))


@dataclass(frozen=True)
class RequestView:
    """An appointment request for its professional (AppointmentRequestRead)."""

    id: int
    service_id: int
    service: ServiceSummary
    requested_datetime: dt.datetime
    end_datetime: dt.datetime
    timezone: str
    client_name: str
    client_email: str
    client_phone: str | None
    client_comment: str | None
    status: str
    appointment_id: int | None
    decided_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


def request_view(request: AppointmentRequest, service: Service, timezone: str) -> RequestView:
    r = request
    return RequestView(
        id=r.id, service_id=r.service_id, service=service_summary(service),
        requested_datetime=local(r.requested_datetime, timezone),
        end_datetime=local(r.end_datetime, timezone), timezone=timezone, client_name=r.client_name,
        client_email=r.client_email, client_phone=r.client_phone, client_comment=r.client_comment,
        status=r.status.value,
        appointment_id=r.appointment_id,
        decided_at=local(r.decided_at, timezone), created_at=local(r.created_at, timezone),
        updated_at=local(r.updated_at, timezone),
    )


@dataclass(frozen=True)
class _ClientSide:
    """What a client's link shows of either an appointment or a request."""

    id: int
    status: str
    business_name: str
    professional_slug: str
    timezone: str
    service: ServiceSummary


@dataclass(frozen=True)
class ClientAppointmentView(_ClientSide):
    """What a client's link shows (PublicAppointmentRead / PublicBookingRead)."""

    start_datetime: dt.datetime
    end_datetime: dt.datetime
    cancellation_policy_hours: int
    changes_allowed_until: dt.datetime
    can_cancel: bool
    can_reschedule: bool
    hold_expires_at: dt.datetime | None = None
    cancellation_token: str | None = None
    # How many later sessions of its series the manage page offers to cancel with this one (0: the offer
    # is not made; not in the API).
    following_sessions: int = 0


def changes_allowed_until(start: dt.datetime, policy_hours: int) -> dt.datetime:
    """The last instant a client may still cancel or reschedule."""
    return start - dt.timedelta(hours=policy_hours)


def client_appointment_view(appointment: Appointment, professional: Professional, service: Service, *,
                            now: dt.datetime, token: str | None = None) -> ClientAppointmentView:
    zone = professional.timezone
    hours = professional.settings.cancellation_policy_hours
    until = changes_allowed_until(appointment.start_datetime, hours)
    open_ = appointment.status in ACTIVE_STATUSES and now <= until
    return ClientAppointmentView(
        id=appointment.id, status=appointment.status.value, business_name=professional.business_name,
        professional_slug=professional.public_slug, timezone=zone, service=service_summary(service),
        start_datetime=local(appointment.start_datetime, zone),
        end_datetime=local(appointment.end_datetime, zone),
        cancellation_policy_hours=hours, changes_allowed_until=local(until, zone), can_cancel=open_,
        can_reschedule=open_, cancellation_token=token,
        hold_expires_at=(local(appointment.hold_expires_at, zone)
                         if appointment.status == AppointmentStatus.held else None),
    )


@dataclass(frozen=True)
class ClientRequestView(_ClientSide):
    """What a client's request link shows (PublicRequestRead / PublicRequestCreated)."""

    requested_datetime: dt.datetime
    end_datetime: dt.datetime
    request_token: str | None = None


def client_request_view(request: AppointmentRequest, professional: Professional, service: Service, *,
                        token: str | None = None) -> ClientRequestView:
    zone = professional.timezone
    return ClientRequestView(
        id=request.id, status=request.status.value, business_name=professional.business_name,
        professional_slug=professional.public_slug, timezone=zone, service=service_summary(service),
        requested_datetime=local(request.requested_datetime, zone),
        end_datetime=local(request.end_datetime, zone),
        request_token=token,
    )


def answer(policy: Policy, appointment: Appointment, professional: Professional, service: Service,
           client: Client, *, now: dt.datetime, token: str | None = None
           ) -> AppointmentView | ClientAppointmentView:
    """What the actor sees of an appointment after a command: a client their view (with the new token,
    if any), the professional theirs.

    Commands call it just before committing: the professional's view reads the timestamps the database has
    just set, which then load in the same transaction (a client's view reads none, so costs nothing)."""
    if policy.by_client:
        return client_appointment_view(appointment, professional, service, now=now, token=token)
    return appointment_view(appointment, professional.timezone, client=client, service=service)
