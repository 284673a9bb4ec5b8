"""Appointments function: the professional's appointments and the appointment requests awaiting them."""

from flask import Blueprint, request

from shared import ratelimit
from shared.appointments import appointment_requests as requests_service
from shared.appointments import schemas
from shared.appointments import service as appointments
from shared.appointments.effects import Actor
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


def _pid() -> int:
    return current_principal().professional_id


def _actor() -> Actor:
    return Actor(user_id=current_principal().user_id, ip_address=client_address(),
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
        items, total = appointments.get_all(uow, professional_id=_pid(), limit=limit, offset=offset,
                                            **filters)
    return page(dump(schemas.AppointmentRead, items, many=True), total, limit, offset)


@bp.post("/appointments")
@require_professional
def create_appointment():
    """Book a client (existing or new) into one of the professional's services."""
    appointment_in = parse_body(schemas.AppointmentCreate)
    ratelimit.hit("appointments_created", str(_pid()),
                  detail="Too many new appointments today; try again tomorrow.")
    with unit_of_work() as uow:
        appointment = appointments.create(uow, professional_id=_pid(), appointment_in=appointment_in,
                                          actor=_actor())
    return created(dump(schemas.AppointmentRead, appointment), f"/appointments/{appointment.id}")


@bp.get("/appointments/<int:appointment_id>")
@require_professional
def get_appointment(appointment_id: int):
    """Show one of the professional's appointments."""
    with unit_of_work() as uow:
        appointment = appointments.get(uow, professional_id=_pid(), appointment_id=appointment_id)
    return dump(schemas.AppointmentRead, appointment)


@bp.put("/appointments/<int:appointment_id>")
@require_professional
def update_appointment(appointment_id: int):
    """Reschedule, re-note, re-assign or change the status of one of the professional's appointments."""
    appointment_in = parse_body(schemas.AppointmentUpdate)
    with unit_of_work() as uow:
        appointment = appointments.update(uow, professional_id=_pid(), appointment_id=appointment_id,
                                          appointment_in=appointment_in, actor=_actor())
    return dump(schemas.AppointmentRead, appointment)


@bp.delete("/appointments/<int:appointment_id>")
@require_professional
def cancel_appointment(appointment_id: int):
    """Cancel one of the professional's appointments (kept as cancelled_by_professional); {reason}?"""
    cancel_in = _optional_body(schemas.AppointmentCancel)
    with unit_of_work() as uow:
        appointment = appointments.cancel(uow, professional_id=_pid(), appointment_id=appointment_id,
                                          reason=cancel_in.get("reason"), actor=_actor())
    return dump(schemas.AppointmentRead, appointment)


@bp.get("/appointment-requests")
@require_professional
def list_appointment_requests():
    """List the professional's appointment requests (?status=pending...), by requested start."""
    filters = parse_query(schemas.AppointmentRequestQuery)
    limit, offset = page_params()
    with unit_of_work() as uow:
        items, total = requests_service.get_all_requests(uow, professional_id=_pid(), limit=limit,
                                                         offset=offset, **filters)
    return page(dump(schemas.AppointmentRequestRead, items, many=True), total, limit, offset)


@bp.post("/appointment-requests/<int:request_id>/accept")
@require_professional
def accept_appointment_request(request_id: int):
    """Accept a pending request: the appointment is made (confirmed) and the client told."""
    with unit_of_work() as uow:
        request_view = requests_service.accept_request(uow, professional_id=_pid(), request_id=request_id,
                                                       actor=_actor())
    return dump(schemas.AppointmentRequestRead, request_view)


@bp.post("/appointment-requests/<int:request_id>/reject")
@require_professional
def reject_appointment_request(request_id: int):
    """Reject a pending request, with an optional {reason} for the client."""
    reject_in = _optional_body(schemas.RequestReject)
    with unit_of_work() as uow:
        request_view = requests_service.reject_request(uow, professional_id=_pid(), request_id=request_id,
                                                       reject_in=reject_in, actor=_actor())
    return dump(schemas.AppointmentRequestRead, request_view)


app = create_app("appointments", bp)
