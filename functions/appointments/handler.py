"""Appointments function: the professional's appointments and the appointment requests awaiting them."""

from flask import Blueprint, request

from shared import ratelimit
from shared.appointments import queries, requests, schemas, series
from shared.appointments.actors import Actor
from shared.appointments.book import book
from shared.appointments.status import cancel
from shared.appointments.update import update
from shared.db import unit_of_work
from shared.http import (
    client_address,
    create_app,
    created,
    current_principal,
    current_request_id,
    dump,
    page,
    page_params,
    parse_body,
    parse_query,
    require_professional,
)

bp = Blueprint("appointments", __name__)


def _actor() -> Actor:
    principal = current_principal()
    return Actor.professional(principal.professional_id, principal.user_id, ip_address=client_address(),
                              request_id=current_request_id())


def _optional_body(schema) -> dict:
    """The JSON body through `schema` when one is sent (e.g. a reason); an empty body is no fields."""
    return parse_body(schema) if request.get_data(cache=True) else {}


@bp.get("/appointments")
@require_professional
def list_appointments():
    """List the professional's appointments (?from=&to=&status=&client_id=&service_id=) by start."""
    filters = parse_query(schemas.AppointmentQuery)
    limit, offset = page_params()
    with unit_of_work() as uow:
        items, total = queries.get_all(uow, _actor(), limit=limit, offset=offset, **filters)
    return page(dump(schemas.AppointmentRead, items, many=True), total, limit, offset)


@bp.post("/appointments")
@require_professional
def create_appointment():
    """Book a client into one of the professional's services, once or weekly (`recurrence`)."""
    appointment_in = parse_body(schemas.AppointmentCreate)
    ratelimit.hit("appointments_created", str(current_principal().professional_id),
                  detail="Too many new appointments today; try again tomorrow.")
    with unit_of_work() as uow:
        if "recurrence" in appointment_in:
            booked = series.book_series(uow, _actor(), appointment_in)
            return created(dump(schemas.AppointmentSeriesRead, booked), f"/appointment-series/{booked.id}")
        appointment = book(uow, _actor(), appointment_in)
    return created(dump(schemas.AppointmentRead, appointment), f"/appointments/{appointment.id}")


@bp.get("/appointment-series/<int:series_id>")
@require_professional
def get_appointment_series(series_id: int):
    """Show one of the professional's weekly series with its appointments."""
    with unit_of_work() as uow:
        found = series.get(uow, _actor(), series_id=series_id)
    return dump(schemas.AppointmentSeriesRead, found)


@bp.get("/appointments/<int:appointment_id>")
@require_professional
def get_appointment(appointment_id: int):
    """Show one of the professional's appointments."""
    with unit_of_work() as uow:
        appointment = queries.get(uow, _actor(), appointment_id=appointment_id)
    return dump(schemas.AppointmentRead, appointment)


@bp.put("/appointments/<int:appointment_id>")
@require_professional
def update_appointment(appointment_id: int):
    """Change one appointment, or (?scope=following|all) the upcoming ones of its series."""
    scope = parse_query(schemas.ScopeQuery)["scope"]
    appointment_in = parse_body(schemas.AppointmentUpdate)
    with unit_of_work() as uow:
        appointment = update(uow, _actor(), appointment_id=appointment_id, appointment_in=appointment_in,
                             scope=scope)
    return dump(schemas.AppointmentRead, appointment)


@bp.delete("/appointments/<int:appointment_id>")
@require_professional
def cancel_appointment(appointment_id: int):
    """Cancel one appointment (or ?scope=following|all of its series), kept as cancelled; {reason}?"""
    scope = parse_query(schemas.ScopeQuery)["scope"]
    cancel_in = _optional_body(schemas.AppointmentCancel)
    with unit_of_work() as uow:
        appointment = cancel(uow, _actor(), appointment_id=appointment_id, reason=cancel_in.get("reason"),
                             scope=scope)
    return dump(schemas.AppointmentRead, appointment)


@bp.get("/appointment-requests")
@require_professional
def list_appointment_requests():
    """List the professional's appointment requests (?status=pending...), by requested start."""
    filters = parse_query(schemas.AppointmentRequestQuery)
    limit, offset = page_params()
    with unit_of_work() as uow:
        items, total = queries.get_all_requests(uow, _actor(), limit=limit, offset=offset, **filters)
    return page(dump(schemas.AppointmentRequestRead, items, many=True), total, limit, offset)


@bp.post("/appointment-requests/<int:request_id>/accept")
@require_professional
def accept_appointment_request(request_id: int):
    """Accept a pending request: the appointment is made (confirmed) and the client told."""
    with unit_of_work() as uow:
        request_view = requests.accept(uow, _actor(), request_id)
    return dump(schemas.AppointmentRequestRead, request_view)


@bp.post("/appointment-requests/<int:request_id>/reject")
@require_professional
def reject_appointment_request(request_id: int):
    """Reject a pending request, with an optional {reason} for the client."""
    reject_in = _optional_body(schemas.RequestReject)
    with unit_of_work() as uow:
        request_view = requests.reject(uow, _actor(), request_id, reason=reject_in.get("reason"))
    return dump(schemas.AppointmentRequestRead, request_view)


app = create_app("appointments", bp)
