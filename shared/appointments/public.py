"""Clients without an account: book through the public page, then see, cancel or reschedule by token link."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select

from shared import linktokens
from shared.appointments import booking, changes, effects
from shared.appointments.booking import local, utcnow
from shared.appointments.effects import SYSTEM, Actor
from shared.appointments.states import CANCELLED, check_transition
from shared.appointments.views import (
    ClientAppointmentView,
    ClientRequestView,
    changes_allowed_until,
    client_appointment_view,
    client_request_view,
)
from shared.availability.service import is_offered, is_offered_and_count
from shared.errors import Conflict, LinkExpired, NotFound
from shared.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentRequest,
    AppointmentStatus,
    AuditLog,
    Client,
    Professional,
    PublicLink,
    RequestStatus,
)
from shared.notifications import outbox

NO_LINK = "This link does not exist or is no longer valid."
UNAVAILABLE = "That time is no longer available; please choose another one."


def unavailable() -> Conflict:
    return Conflict(UNAVAILABLE, slug="slot-unavailable")


# Booking


def _client_email_lock(email: str) -> tuple[str, str]:
    # Bookings by one email for one professional take turns, so the cap below counts exactly: the key is
    # hashtextextended('public-booking:<professional id>:<email>', 0), taken by the first query of book().
    return "public-booking:", f":{email}"


def _open_public_bookings(*, professional_id: int, email: str, now: dt.datetime):
    """Upcoming public appointments (pending or confirmed) and pending requests of this client email, as
    one integer expression (both counts) and its bound parameters, read inside the statement that loads
    the availability."""
    params = {"cap_professional_id": professional_id, "cap_email": email, "cap_now": now}
    return _open_public_bookings_expression(), params


@functools.cache
def _open_public_bookings_expression():
    # Built once with bound parameters (cheaper than building and cache-keying it on every booking).
    professional_id, email = bindparam("cap_professional_id"), bindparam("cap_email")
    now = bindparam("cap_now")
    appointments = (
        select(func.count()).select_from(Appointment)
        .join(Client, and_(Client.id == Appointment.client_id,
                           Client.professional_id == Appointment.professional_id))
        .where(Appointment.professional_id == professional_id, Client.email == email,
               Appointment.created_from_public_link.is_(True), Appointment.status.in_(ACTIVE_STATUSES),
               Appointment.start_datetime > now)
        .scalar_subquery()
    )
    requests = (
        select(func.count()).select_from(AppointmentRequest)
        .where(AppointmentRequest.professional_id == professional_id,
               AppointmentRequest.client_email == email, AppointmentRequest.status == RequestStatus.pending,
               AppointmentRequest.requested_datetime > now)
        .scalar_subquery()
    )
    return (appointments + requests).label("open_public_bookings")


def book(uow, *, slug: str, booking_in: dict[str, Any], actor: Actor = SYSTEM,
         now: dt.datetime | None = None) -> ClientAppointmentView | ClientRequestView:
    """Book an offered slot from the public page.

    The start must be a slot shared.availability offers at this moment (Conflict otherwise). With public
    booking on, the appointment is made (status per the professional's default) with a manage token;
    with it off, an appointment request is recorded for the professional to accept or reject.
    """
    now = utcnow(now)
    session = uow.session
    email = booking_in["email"]
    professional, service = booking.get_public_professional_and_service(
        session, slug, booking_in["service_id"], lock_key=_client_email_lock(email))
    if not service.is_active:
        raise NotFound("The service does not exist.")
    # The cap's count is read after the lock is held, in a later statement (so with a snapshot taken after
    # it): the one that loads the availability; the settings row loaded above gives the rules. The cap is
    # still checked before the slot, as it always was.
    start = booking_in["start_datetime"].astimezone(dt.UTC)
    offered, open_bookings = is_offered_and_count(
        session, professional=professional, service=service, start=start, now=now,
        rules=professional.settings,
        count=_open_public_bookings(professional_id=professional.id, email=email, now=now))
    limit = professional.settings.max_pending_public_bookings
    if open_bookings >= limit:
        raise Conflict(f"You already have {limit} upcoming bookings or requests with "
                       f"{professional.business_name}, the most allowed online. Cancel one, or contact "
                       "them directly.",
                       slug="too-many-pending-bookings")
    if not offered:
        raise unavailable()
    end = start + dt.timedelta(minutes=service.duration_minutes)
    if professional.settings.allow_public_booking:
        return _book_appointment(uow, professional, service, booking_in, start, end, actor, now)
    return _record_request(uow, professional, service, booking_in, start, end, actor)


def _book_appointment(uow, professional, service, booking_in, start, end, actor,
                      now) -> ClientAppointmentView:
    session = uow.session
    client = booking.find_or_create_client(session, professional_id=professional.id, name=booking_in["name"],
                                           email=booking_in["email"], phone=booking_in.get("phone"))
    appointment = Appointment(
        professional_id=professional.id, client_id=client.id, service_id=service.id, start_datetime=start,
        end_datetime=end, status=AppointmentStatus(professional.settings.default_appointment_status.value),
        client_comment=booking_in.get("comment"), created_from_public_link=True)
    session.add(appointment)
    booking.flush_booking(session, unavailable())
    # The rows issue_link(), effects.booked() and effects.record() would add, written in one statement.
    token, link = booking.link_values(professional_id=professional.id, appointment=appointment,
                                      expires_at=booking.link_expiry(end))
    audit_row = effects.audit_values(
        actor, action="appointment.created", professional_id=professional.id, entity_type="appointment",
        entity_id=appointment.id,
        metadata={"status": appointment.status.value, "start": start.isoformat(), "service_id": service.id,
                  "client_id": client.id, "source": "public_link"})
    _insert_together(session, link, audit_row,
                     effects.booked_rows(professional, appointment, client, by_client=True))
    booking.commit_booking(uow, unavailable(), creates_appointment=True)
    return client_appointment_view(appointment, professional, service, now=now, token=token)


def _insert_together(session, link: dict, audit_row: dict, notifications: list[dict]) -> None:
    """The client's link, the audit row and the outbox rows of a new booking in ONE statement (one round
    trip instead of three): data-modifying CTEs, which PostgreSQL runs to completion whether or not the
    main statement reads them, in the same transaction as the appointment."""
    new_link = insert(PublicLink.__table__).values(link).cte("new_link")
    if not notifications:
        session.execute(insert(AuditLog.__table__).values(audit_row).add_cte(new_link))
        return
    new_audit = insert(AuditLog.__table__).values(audit_row).cte("new_audit")
    outbox.collect(session, list(session.scalars(outbox.insert_many(notifications, new_link, new_audit))))


def _record_request(uow, professional, service, booking_in, start, end, actor) -> ClientRequestView:
    session = uow.session
    request = AppointmentRequest(
        professional_id=professional.id, service_id=service.id, requested_datetime=start,
        end_datetime=end, client_name=booking_in["name"], client_email=booking_in["email"],
        client_phone=booking_in.get("phone"), client_comment=booking_in.get("comment"),
        status=RequestStatus.pending)
    session.add(request)
    session.flush()
    token = booking.issue_link(session, professional_id=professional.id, request=request,
                               expires_at=booking.link_expiry(end))
    effects.request_received(session, professional, request)
    effects.record(session, actor, action="appointment_request.created", professional_id=professional.id,
                   entity_type="appointment_request", entity_id=request.id,
                   metadata={"start": start.isoformat(), "service_id": service.id})
    uow.commit()
    return client_request_view(request, professional, service, token=token)


# Token links


def _link(session, token: str, now: dt.datetime) -> PublicLink:
    """The live link for a token; NotFound for an unknown, malformed, revoked or expired one."""
    if not isinstance(token, str) or not linktokens.looks_like_token(token):
        raise NotFound(NO_LINK)
    link = session.scalar(select(PublicLink).where(PublicLink.token_hash == linktokens.hash_token(token)))
    if link is None:
        raise NotFound(NO_LINK)
    if link.revoked_at is not None or link.expires_at <= now:
        raise LinkExpired(NO_LINK)
    return link


def _professional(session, link: PublicLink) -> Professional:
    professional = booking.get_professional(session, link.professional_id)
    if not (professional.is_active and professional.user.is_active):
        raise NotFound(NO_LINK)
    return professional


def _appointment(session, link: PublicLink, *, lock: bool) -> Appointment:
    if link.appointment_id is None:
        raise NotFound("This link does not manage an appointment.")
    query = select(Appointment).where(Appointment.id == link.appointment_id,
                                      Appointment.professional_id == link.professional_id)
    if lock:
        query = query.with_for_update()
    appointment = session.scalar(query)
    if appointment is None:
        raise NotFound(NO_LINK)
    return appointment


def _ensure_changeable(appointment: Appointment, professional: Professional, now: dt.datetime) -> None:
    """Conflict stating the policy once the cancellation window has been entered."""
    hours = professional.settings.cancellation_policy_hours
    until = changes_allowed_until(appointment.start_datetime, hours)
    if now > until:
        window = f"up to {hours} hour{'s' if hours != 1 else ''} before the start" if hours \
            else "until the start"
        raise Conflict(f"Changes are possible {window}; please contact {professional.business_name} "
                       "directly.",
                       slug="cancellation-window-passed", cancellation_policy_hours=hours,
                       changes_allowed_until=local(until, professional.timezone).isoformat())


def get_by_token(uow, *, token: str,
                 now: dt.datetime | None = None) -> ClientAppointmentView | ClientRequestView:
    """What the link's holder may see of their appointment (or request)."""
    now = utcnow(now)
    session = uow.session
    link = _link(session, token, now)
    professional = _professional(session, link)
    if link.appointment_id is None:
        request = session.get(AppointmentRequest, link.appointment_request_id)
        service = booking.get_service(session, professional_id=professional.id, service_id=request.service_id)
        return client_request_view(request, professional, service)
    appointment = _appointment(session, link, lock=False)
    service = booking.get_service(session, professional_id=professional.id, service_id=appointment.service_id)
    return client_appointment_view(appointment, professional, service, now=now)


def cancel_by_token(uow, *, token: str, actor: Actor = SYSTEM,
                    now: dt.datetime | None = None) -> ClientAppointmentView:
    """The client cancels (idempotent: an already cancelled appointment is shown as it is).

    Conflict stating the policy inside the cancellation window, and for a completed appointment.
    """
    now = utcnow(now)
    session = uow.session
    link = _link(session, token, now)
    professional = _professional(session, link)
    appointment = _appointment(session, link, lock=True)
    service = booking.get_service(session, professional_id=professional.id, service_id=appointment.service_id)
    if appointment.status in CANCELLED:
        return client_appointment_view(appointment, professional, service, now=now)
    target = AppointmentStatus.cancelled_by_client
    check_transition(appointment.status, target, start=appointment.start_datetime, now=now)
    _ensure_changeable(appointment, professional, now)
    client = booking.get_client(session, professional_id=professional.id, client_id=appointment.client_id)
    changes.change_status(session, professional=professional, appointment=appointment, client=client,
                          target=target, now=now, actor=actor, by_client_link=True)
    session.refresh(appointment)
    uow.commit()
    return client_appointment_view(appointment, professional, service, now=now)


def reschedule_by_token(uow, *, token: str, start_datetime: dt.datetime, actor: Actor = SYSTEM,
                        now: dt.datetime | None = None) -> ClientAppointmentView:
    """The client moves the appointment to another offered slot, outside the cancellation window."""
    now = utcnow(now)
    session = uow.session
    link = _link(session, token, now)
    professional = _professional(session, link)
    appointment = _appointment(session, link, lock=True)
    service = booking.get_service(session, professional_id=professional.id, service_id=appointment.service_id)
    if appointment.status not in ACTIVE_STATUSES:
        raise Conflict(f"The appointment is {appointment.status.value}; it can no longer be rescheduled.",
                       slug="invalid-status-change", current_status=appointment.status.value)
    _ensure_changeable(appointment, professional, now)
    if start_datetime == appointment.start_datetime:
        return client_appointment_view(appointment, professional, service, now=now)
    if not is_offered(session, professional=professional, service=service, start=start_datetime, now=now,
                      ignore_appointment_id=appointment.id, rules=professional.settings):
        raise unavailable()
    client = booking.get_client(session, professional_id=professional.id, client_id=appointment.client_id)
    changes.reschedule(session, professional=professional, appointment=appointment, client=client,
                       service=service, start=start_datetime, actor=actor, by_client=True,
                       conflict=unavailable())
    session.refresh(appointment)
    booking.commit_booking(uow, unavailable())
    return client_appointment_view(appointment, professional, service, now=now)


def calendar_by_token(uow, *, token: str, manage_url: str, now: dt.datetime | None = None) -> bytes:
    """The appointment as an iCalendar file for the link's holder ("add to calendar"): the same UID and
    sequence as the e-mailed invitations, so a calendar keeps one event."""
    now = utcnow(now)
    session = uow.session
    link = _link(session, token, now)
    professional = _professional(session, link)
    appointment = _appointment(session, link, lock=False)
    service = booking.get_service(session, professional_id=professional.id, service_id=appointment.service_id)
    client = booking.get_client(session, professional_id=professional.id, client_id=appointment.client_id)
    # icalendar costs the public function 9 MiB and most of its requests never need it.
    from shared.notifications import calendar

    return calendar.build_ics(
        method="CANCEL" if appointment.status in CANCELLED else "REQUEST",
        uid=calendar.appointment_uid(appointment.id), sequence=appointment.sequence,
        start=appointment.start_datetime, end=appointment.end_datetime,
        summary=f"{service.name} · {professional.business_name}",
        description=f"{service.name} · {professional.business_name}\n{manage_url}",
        organizer_email=professional.user.email, organizer_name=professional.business_name,
        attendee_email=client.email, attendee_name=client.name, stamp=now)
