"""The checks a command makes before it writes: the time is free (or offered), the client is under the cap,
the client is still outside the cancellation window. The status machine has its own module (states).

The database has the last word on overlaps: the exclusion constraint ex_appointments_no_overlap refuses
two active appointments of one professional at one time, whatever the checks here saw (a concurrent
booking may commit between the check and the write); the effects writer turns that refusal into the
policy's 409.
"""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import (
    ARRAY,
    BigInteger,
    DateTime,
    all_,
    and_,
    bindparam,
    column,
    exists,
    func,
    or_,
    select,
)

from shared.appointments import lookups
from shared.appointments.actors import Policy
from shared.appointments.views import changes_allowed_until
from shared.availability.service import is_offered, is_offered_and_count
from shared.clock import local
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentRequest,
    Client,
    Professional,
    RequestStatus,
    Service,
    TimeOff,
    lapsed_hold,
    takes_its_time,
)


def check_service_bookable(service: Service, policy: Policy) -> None:
    """An inactive service takes no new bookings: a client does not see it at all, the professional is
    told why."""
    if service.is_active:
        return
    if policy.by_client:
        raise NotFound("The service does not exist.")
    raise ValidationFailed(errors={"service_id": ["The service is not active."]})


def check_time(session, policy: Policy, professional: Professional, service: Service, *, start: dt.datetime,
               end: dt.datetime, now: dt.datetime, moving: Appointment | None = None) -> None:
    """The new time of an appointment (`moving`, when it exists already) is one the actor may take.

    A client: a slot availability offers at this moment (working hours, notice, horizon, buffers, other
    appointments). The professional: any time no other active appointment overlaps.
    """
    ignore = moving.id if moving is not None else None
    if policy.by_client:
        if not is_offered(session, professional=professional, service=service, start=start, now=now,
                          ignore_appointment_id=ignore, rules=professional.settings):
            raise policy.conflict(professional)
        return
    other = lookups.overlapping(session, professional_id=professional.id, start=start, end=end, now=now,
                                exclude_id=ignore)
    if other is not None:
        raise policy.conflict(professional, other)


def check_public_booking(session, policy: Policy, professional: Professional, service: Service, *,
                         email: str, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> bool:
    """A booking from the public page: the client's open bookings are under the professional's cap, and
    the start is a slot on offer (the cap first, as it always was). Returns whether a hold past its expiry
    still sits in [start, end) (the booking marks it expired first; in the usual case there is none, and
    that step costs nothing).

    All of it comes from one statement (the availability's, with the counts riding along), read after the
    page statement took the per-email advisory lock: bookings by one email take turns, so the count is
    exact. A hold live at `now` makes the slot not offered, so none can lapse into the way meanwhile.
    """
    offered, (open_bookings, lapsed_holds) = is_offered_and_count(
        session, professional=professional, service=service, start=start, now=now,
        rules=professional.settings, counts=(_public_booking_counts(), {
            "cap_professional_id": professional.id, "cap_email": email, "cap_now": now,
            "hold_start": start, "hold_end": end}))
    limit = professional.settings.max_pending_public_bookings
    if open_bookings >= limit:
        raise Conflict(f"You already have {limit} upcoming bookings or requests with "
                       f"{professional.business_name}, the most allowed online. Cancel one, or contact "
                       "them directly.", slug="too-many-pending-bookings")
    if not offered:
        raise policy.conflict(professional)
    return lapsed_holds > 0


def public_booking_lock(email: str) -> tuple[str, str]:
    """The advisory lock key bookings by one email at one professional share (page_and_service takes it):
    hashtextextended('public-booking:<professional id>:<email>', 0)."""
    return "public-booking:", f":{email}"


@functools.cache
def _public_booking_counts():
    """The client's open public bookings (the cap), and the holds past their expiry in the booking's way."""
    lapsed = (
        select(func.count()).select_from(Appointment)
        .where(Appointment.professional_id == bindparam("cap_professional_id"),
               lapsed_hold(bindparam("cap_now")),
               Appointment.start_datetime < bindparam("hold_end"),
               Appointment.end_datetime > bindparam("hold_start"))
        .scalar_subquery()
    )
    return _open_public_bookings(), lapsed.label("lapsed_holds")


def _open_public_bookings():
    # Upcoming public appointments (pending, confirmed or held) and pending requests of one client email, as
    # one integer expression. Built once with bound parameters (cheaper than building and cache-keying it on
    # every public booking).
    professional_id, email = bindparam("cap_professional_id"), bindparam("cap_email")
    now = bindparam("cap_now")
    appointments = (
        select(func.count()).select_from(Appointment)
        .join(Client, and_(Client.id == Appointment.client_id,
                           Client.professional_id == Appointment.professional_id))
        .where(Appointment.professional_id == professional_id, Client.email == email,
               Appointment.created_from_public_link.is_(True), takes_its_time(now),
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


def check_changes_open(policy: Policy, appointment: Appointment, professional: Professional,
                       now: dt.datetime) -> None:
    """A client changes an appointment only until the cancellation window; the professional at any time."""
    if not policy.by_client:
        return
    hours = professional.settings.cancellation_policy_hours
    until = changes_allowed_until(appointment.start_datetime, hours)
    if now > until:
        window = f"up to {hours} hour{'s' if hours != 1 else ''} before the start" if hours \
            else "until the start"
        raise Conflict(f"Changes are possible {window}; please contact {professional.business_name} "
                       "directly.",
                       slug="cancellation-window-passed", cancellation_policy_hours=hours,
                       changes_allowed_until=local(until, professional.timezone).isoformat())


def check_movable(policy: Policy, appointment: Appointment) -> None:
    """Only a pending or confirmed appointment can get a new time."""
    if appointment.status not in ACTIVE_STATUSES:
        raise policy.not_movable(appointment)


@functools.cache
def _taken_times():
    # One row per [start, end) pair given (its position n, from 1) whose time another appointment keeps
    # (the same rule as the slots: models.takes_its_time) or time off covers. Built once.
    times = (func.unnest(bindparam("starts", type_=ARRAY(DateTime(timezone=True))),
                         bindparam("ends", type_=ARRAY(DateTime(timezone=True))))
             .table_valued(column("start_datetime", DateTime(timezone=True)),
                           column("end_datetime", DateTime(timezone=True)), with_ordinality="n")
             .render_derived(name="o"))
    booked = exists().where(
        Appointment.professional_id == bindparam("professional_id"), takes_its_time(bindparam("now")),
        Appointment.start_datetime < times.c.end_datetime, Appointment.end_datetime > times.c.start_datetime,
        Appointment.id != all_(bindparam("moving", type_=ARRAY(BigInteger))))
    off = exists().where(
        TimeOff.professional_id == bindparam("professional_id"),
        TimeOff.start_datetime < times.c.end_datetime, TimeOff.end_datetime > times.c.start_datetime)
    return select(times.c.n - 1).where(or_(booked, off)).order_by(times.c.n)



def taken_times(session, professional: Professional, times: list[tuple[dt.datetime, dt.datetime]], *,
                now: dt.datetime, moving: list[int] = ()) -> list[int]:
    """The positions in `times` ([start, end) pairs) that another active appointment (or a hold not yet
    expired at `now`) or the professional's time off overlaps, all of them in one statement: a series is
    checked as a whole, and every clash is named. The appointments `moving` (those a change moves) are not
    in their own way."""
    if not times:
        return []
    return list(session.scalars(_taken_times(), {
        "professional_id": professional.id, "starts": [start for start, _ in times],
        "ends": [end for _, end in times], "moving": list(moving), "now": now}))


def series_conflict(professional: Professional, starts: list[dt.datetime]) -> Conflict:
    """The 409 for a series (or a change to one) some of whose times are taken: every such start, in the
    professional's zone."""
    named = [local(start, professional.timezone).isoformat() for start in starts]
    return Conflict(f"{len(named)} of the times overlap another appointment or time off.", slug="overlap",
                    conflicts=named)
