"""Book: a new appointment, by the professional or by a client on the public page.

Accepting a request (requests.accept) creates its appointment through create_appointment() here too, so
every appointment is born the same way: the row, its client link, its audit row, its count. A client's
booking at a professional who confirms by hand is recorded as a request, here as well.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared import ratelimit
from shared.appointments import holds, lookups, notices, rules
from shared.appointments.actors import Actor
from shared.appointments.effects import Effects, link_expiry
from shared.appointments.views import (
    AppointmentView,
    ClientAppointmentView,
    ClientRequestView,
    answer,
    client_request_view,
)
from shared.clock import utcnow
from shared.models import (
    Appointment,
    AppointmentRequest,
    AppointmentSeries,
    AppointmentStatus,
    Client,
    Professional,
    RequestStatus,
    Service,
)


def book(uow, actor: Actor, booking_in: dict[str, Any], *, slug: str | None = None,
         now: dt.datetime | None = None) -> AppointmentView | ClientAppointmentView | ClientRequestView:
    """Book a client into one of a professional's active services at a start time.

    The professional (actor.professional_id) may take any free time, for an existing client (client_id)
    or one found or created by e-mail (client), with the status they choose (else their default). A client
    books on the public page (slug) a slot on offer, within the cap of open bookings per e-mail; when the
    professional confirms bookings by hand, the booking is recorded as a request instead; when they
    require email confirmation (holds), the booking holds its slot until the client confirms it.
    """
    now = utcnow(now)
    session = uow.session
    policy = actor.policy

    # Load and lock: the professional and the service (a client's bookings per e-mail take turns).
    if policy.by_client:
        professional, service = lookups.page_and_service(
            session, slug, booking_in["service_id"], lock=rules.public_booking_lock(booking_in["email"]))
    else:
        professional = lookups.professional(session, actor.professional_id)
        service = lookups.service(session, professional_id=professional.id,
                                  service_id=booking_in["service_id"])
    start = booking_in["start_datetime"].astimezone(dt.UTC)
    end = start + dt.timedelta(minutes=service.duration_minutes)

    # Check the rules.
    rules.check_service_bookable(service, policy)
    client = None
    if policy.by_client:
        lapsed_holds = rules.check_public_booking(session, policy, professional, service,
                                                  email=booking_in["email"], start=start, end=end, now=now)
        if not professional.settings.allow_public_booking:
            return _record_request(uow, actor, professional, service, booking_in, start=start, end=end)
    else:
        if "client_id" in booking_in:
            client = lookups.client(session, professional_id=professional.id,
                                    client_id=booking_in["client_id"])
        rules.check_time(session, policy, professional, service, start=start, end=end, now=now)
    hold = policy.by_client and professional.settings.require_email_confirmation
    if hold:
        client_key = ratelimit.address_key(actor.ip_address)
        holds.check_limits(session, professional, client_key, now)

    # Write, and record the effects.
    if client is None:
        client_in = booking_in if policy.by_client else booking_in["client"]
        client = lookups.find_or_create_client(session, professional_id=professional.id,
                                               name=client_in["name"], email=client_in["email"],
                                               phone=client_in.get("phone"))
    status = booking_in.get("status") or professional.settings.default_appointment_status.value
    effects = Effects(uow, actor, professional)
    # A client's words are their comment; the professional's are their private notes.
    written = {"client_comment": booking_in.get("comment")} if policy.by_client \
        else {"notes": booking_in.get("notes")}
    if hold:
        written |= {"hold_expires_at": holds.deadline(professional, now), "hold_client_key": client_key}
    appointment, token = create_appointment(
        effects, service, client, start=start, end=end, now=now,
        status=AppointmentStatus.held if hold else AppointmentStatus(status), **written,
        public=policy.by_client, release_holds=lapsed_holds if policy.by_client else True,
        audit_extra={"source": "public_link"} if policy.by_client else {})
    if hold:
        notices.held(effects, appointment, client)
        token = None  # the emailed link is the only way to confirm the booking, and then to manage it
    else:
        notices.booked(effects, appointment, client)
    return effects.commit(policy.conflict(professional), lambda: answer(
        policy, appointment, professional, service, client, now=now, token=token))


def create_appointment(effects: Effects, service: Service, client: Client, *, start: dt.datetime,
                       end: dt.datetime, now: dt.datetime, status: AppointmentStatus, public: bool,
                       audit_extra: dict[str, Any], notes: str | None = None,
                       client_comment: str | None = None, hold_expires_at: dt.datetime | None = None,
                       hold_client_key: str | None = None, series: AppointmentSeries | None = None,
                       release_holds: bool = True) -> tuple[Appointment, str]:
    """The appointment row (written at once: its id is needed), its client link, its audit row and its
    count; returns it with the link's token. `public`: booked by a client (the page, or a request). A held
    booking's link lasts as long as the hold (its confirmation extends it). An occurrence of a `series`
    keeps `start` as its place in the series' pattern (recurrence_start). `release_holds`: False when the
    caller has read that no hold past its expiry is in the way (a public booking, in its one statement) or
    has released those of a whole series at once."""
    professional: Professional = effects.professional
    if release_holds:
        holds.release_expired(effects, start=start, end=end, now=now)
    appointment = Appointment(
        professional_id=professional.id, client_id=client.id, service_id=service.id, start_datetime=start,
        end_datetime=end, status=status, notes=notes, client_comment=client_comment,
        created_from_public_link=public, hold_expires_at=hold_expires_at, hold_client_key=hold_client_key,
        series_id=series.id if series is not None else None,
        recurrence_start=start if series is not None else None)
    effects.uow.session.add(appointment)
    effects.flush(effects.actor.policy.conflict(professional))
    token = effects.issue_link(appointment=appointment, expires_at=hold_expires_at or link_expiry(end))
    effects.audit("appointment.created", entity=appointment, metadata={
        "status": appointment.status.value, "start": start.isoformat(), "service_id": service.id,
        "client_id": client.id, **audit_extra})
    effects.appointment_created(appointment)
    return appointment, token


def _record_request(uow, actor: Actor, professional: Professional, service: Service,
                    booking_in: dict[str, Any], *, start: dt.datetime, end: dt.datetime) -> ClientRequestView:
    """The client's booking as a request for the professional to accept or reject (the rules are checked)."""
    request = AppointmentRequest(
        professional_id=professional.id, service_id=service.id, requested_datetime=start,
        end_datetime=end, client_name=booking_in["name"], client_email=booking_in["email"],
        client_phone=booking_in.get("phone"), client_comment=booking_in.get("comment"),
        status=RequestStatus.pending)
    uow.session.add(request)
    effects = Effects(uow, actor, professional)
    effects.flush(actor.policy.conflict(professional))
    token = effects.issue_link(request=request, expires_at=link_expiry(end))
    notices.request_received(effects, request)
    effects.audit("appointment_request.created", entity=request,
                  metadata={"start": start.isoformat(), "service_id": service.id})
    return effects.commit(answer=lambda: client_request_view(request, professional, service, token=token))
