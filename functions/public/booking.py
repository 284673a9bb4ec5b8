"""Public booking and client token links: no login, rate limited per client address (and per page)."""

from flask import Blueprint

from shared import ratelimit
from shared.appointments import schemas
from shared.appointments.actors import Actor
from shared.appointments.book import book
from shared.appointments.queries import get_by_token
from shared.appointments.reschedule import reschedule
from shared.appointments.status import cancel
from shared.appointments.views import ClientRequestView
from shared.db import unit_of_work
from shared.http import accepted, client_address, created, current_request_id, dump, parse_body

# Booking writes rows and sends e-mails: tight per client address, looser per professional's page.
BOOKING_RATE_PER_IP = "10/minute"
BOOKING_RATE_PER_SLUG = "60/minute"
TOKEN_RATE_PER_IP = "30/minute"

bp = Blueprint("public_booking", __name__)


def _actor() -> Actor:
    return Actor.client(ip_address=client_address(), request_id=current_request_id())


def _limit_token_use() -> None:
    ratelimit.hit(TOKEN_RATE_PER_IP, "public-token-ip", client_address())


@bp.post("/public/professionals/<slug>/appointments")
def book_appointment(slug: str):
    """Book an offered slot: 201 appointment with its token, or 202 request when confirmed by hand."""
    ratelimit.hit(BOOKING_RATE_PER_IP, "public-booking-ip", client_address(),
                  detail="Too many booking attempts from your address; try again in a minute.")
    ratelimit.hit(BOOKING_RATE_PER_SLUG, "public-booking-slug", slug[:80],
                  detail="This booking page is busy right now; try again in a minute.")
    booking_in = parse_body(schemas.PublicBookingCreate)
    with unit_of_work() as uow:
        result = book(uow, _actor(), booking_in, slug=slug)
    if isinstance(result, ClientRequestView):
        return accepted(dump(schemas.PublicRequestCreated, result))
    location = f"/public/appointments/{result.cancellation_token}"
    return created(dump(schemas.PublicBookingRead, result), location)


@bp.get("/public/appointments/<token>")
def show_appointment(token: str):
    """What the holder of a client link may see of their appointment (or request)."""
    _limit_token_use()
    with unit_of_work() as uow:
        view = get_by_token(uow, token=token)
    if isinstance(view, ClientRequestView):
        return dump(schemas.PublicRequestRead, view)
    return dump(schemas.PublicAppointmentRead, view)


@bp.post("/appointments/cancel/<token>")
def cancel_appointment(token: str):
    """Cancel by the client through their link (repeating it is harmless), within the policy."""
    _limit_token_use()
    with unit_of_work() as uow:
        view = cancel(uow, _actor(), token=token)
    return dump(schemas.PublicAppointmentRead, view)


@bp.post("/appointments/reschedule/<token>")
def reschedule_appointment(token: str):
    """Move the appointment to another offered slot through the client's link, within the policy."""
    _limit_token_use()
    reschedule_in = parse_body(schemas.PublicReschedule)
    with unit_of_work() as uow:
        view = reschedule(uow, _actor(), token=token, **reschedule_in)
    return dump(schemas.PublicAppointmentRead, view)
