"""Public booking and client token links: no login, rate limited per client address (and per page)."""

from flask import Blueprint

from shared import ratelimit
from shared.appointments import schemas
from shared.appointments.actors import Actor
from shared.appointments.book import book
from shared.appointments.holds import confirm
from shared.appointments.queries import get_by_token
from shared.appointments.reschedule import reschedule
from shared.appointments.status import cancel
from shared.appointments.views import ClientRequestView
from shared.db import unit_of_work
from shared.http import accepted, client_address, created, current_request_id, dump, parse_body, parse_query
from shared.models import AppointmentStatus

bp = Blueprint("public_booking", __name__)


def _actor() -> Actor:
    return Actor.client(ip_address=client_address(), request_id=current_request_id())


def _client_key() -> str:
    return ratelimit.address_key(client_address())


def limit_token_use() -> None:
    """RATE_LIMIT_TOKEN_LINKS, per client address (IPv6: per /64)."""
    ratelimit.hit("token_links", _client_key())


def limit_booking(slug: str) -> None:
    """RATE_LIMIT_PUBLIC_BOOKING per client address, and the page's budget (spent by bookings taken only,
    so refused attempts from a few addresses cannot close the page to everyone: count_booking)."""
    ratelimit.hit("public_booking", _client_key(),
                  detail="Too many booking attempts from your address; try again in a minute.")
    ratelimit.check("public_booking_page", slug[:80],
                    detail="This booking page is busy right now; try again in a minute.")


def count_booking(slug: str) -> None:
    """A booking was taken on the page: it counts against RATE_LIMIT_PUBLIC_BOOKING_PAGE."""
    ratelimit.count("public_booking_page", slug[:80])


@bp.post("/public/professionals/<slug>/appointments")
def book_appointment(slug: str):
    """Book an offered slot: 201 with its token, or 202 held until the client confirms it, or 202 request."""
    limit_booking(slug)
    booking_in = parse_body(schemas.PublicBookingCreate)
    with unit_of_work() as uow:
        result = book(uow, _actor(), booking_in, slug=slug)
    count_booking(slug)
    if isinstance(result, ClientRequestView):
        return accepted(dump(schemas.PublicRequestCreated, result))
    if result.status == AppointmentStatus.held:
        return accepted(dump(schemas.PublicHoldRead, result))
    location = f"/public/appointments/{result.cancellation_token}"
    return created(dump(schemas.PublicBookingRead, result), location)


@bp.get("/public/appointments/<token>")
def show_appointment(token: str):
    """What the holder of a client link may see of their appointment (or request)."""
    limit_token_use()
    with unit_of_work() as uow:
        view = get_by_token(uow, token=token)
    if isinstance(view, ClientRequestView):
        return dump(schemas.PublicRequestRead, view)
    return dump(schemas.PublicAppointmentRead, view)


@bp.post("/appointments/confirm/<token>")
def confirm_booking(token: str):
    """Confirm a held booking with the link emailed to the client (repeating it is harmless)."""
    limit_token_use()
    with unit_of_work() as uow:
        view = confirm(uow, _actor(), token=token)
    return dump(schemas.PublicAppointmentRead, view)


@bp.post("/appointments/cancel/<token>")
def cancel_appointment(token: str):
    """Cancel through the client's link (?scope=following: the rest of its series), within the policy."""
    limit_token_use()
    scope = parse_query(schemas.ScopeQuery)["scope"]
    with unit_of_work() as uow:
        view = cancel(uow, _actor(), token=token, scope=scope)
    return dump(schemas.PublicAppointmentRead, view)


@bp.post("/appointments/reschedule/<token>")
def reschedule_appointment(token: str):
    """Move the appointment to another offered slot through the client's link, within the policy."""
    limit_token_use()
    reschedule_in = parse_body(schemas.PublicReschedule)
    with unit_of_work() as uow:
        view = reschedule(uow, _actor(), token=token, **reschedule_in)
    return dump(schemas.PublicAppointmentRead, view)
