"""Catalog function: the logged-in professional's services and clients."""

from flask import Blueprint

from shared import ratelimit
from shared.accounts.common import Origin
from shared.catalog import schemas
from shared.catalog import service as catalog
from shared.db import unit_of_work
from shared.http import (
    client_address,
    create_app,
    created,
    current_principal,
    current_request_id,
    dump,
    no_content,
    page,
    page_params,
    parse_body,
    parse_query,
    require_professional,
)
from shared.privacy import erasure, export
from shared.privacy import schemas as privacy_schemas

bp = Blueprint("catalog", __name__)


def _pid() -> int:
    return current_principal().professional_id


@bp.get("/services")
@require_professional
def list_services():
    """List the professional's services (active ones unless ?include_inactive=true), paged."""
    query = parse_query(schemas.ServiceQuery)
    limit, offset = page_params()
    with unit_of_work() as uow:
        services, total = catalog.get_all_services(uow, professional_id=_pid(), limit=limit, offset=offset,
                                                   **query)
        return page(dump(schemas.ServiceRead, services, many=True), total, limit, offset)


@bp.post("/services")
@require_professional
def create_service():
    """Add a service to the professional's catalog."""
    service_in = parse_body(schemas.ServiceCreate)
    with unit_of_work() as uow:
        service = catalog.create_service(uow, professional_id=_pid(), service_in=service_in)
        return created(dump(schemas.ServiceRead, service), f"/services/{service.id}")


@bp.put("/services/<int:service_id>")
@require_professional
def update_service(service_id: int):
    """Change one of the professional's services."""
    service_in = parse_body(schemas.ServiceUpdate)
    with unit_of_work() as uow:
        service = catalog.update_service(uow, professional_id=_pid(), service_id=service_id,
                                         service_in=service_in)
        return dump(schemas.ServiceRead, service)


@bp.delete("/services/<int:service_id>")
@require_professional
def delete_service(service_id: int):
    """Deactivate one of the professional's services (kept for the appointments that name it)."""
    with unit_of_work() as uow:
        catalog.delete_service(uow, professional_id=_pid(), service_id=service_id)
    return no_content()


@bp.get("/clients")
@require_professional
def list_clients():
    """List the professional's clients, filtered by ?name=, ?email= or ?q= (name or email), paged."""
    filters = parse_query(schemas.ClientQuery)
    limit, offset = page_params()
    with unit_of_work() as uow:
        clients, total = catalog.get_all_clients(uow, professional_id=_pid(), limit=limit, offset=offset,
                                                 **filters)
        return page(dump(schemas.ClientRead, clients, many=True), total, limit, offset)


@bp.post("/clients")
@require_professional
def create_client():
    """Add a client to the professional's list."""
    client_in = parse_body(schemas.ClientCreate)
    ratelimit.hit("clients_created", str(_pid()), detail="Too many new clients today; try again tomorrow.")
    with unit_of_work() as uow:
        client = catalog.create_client(uow, professional_id=_pid(), client_in=client_in)
        return created(dump(schemas.ClientRead, client), f"/clients/{client.id}")


@bp.get("/clients/<int:client_id>")
@require_professional
def get_client(client_id: int):
    """Show one of the professional's clients."""
    with unit_of_work() as uow:
        return dump(schemas.ClientRead, catalog.get_client(uow, professional_id=_pid(), client_id=client_id))


@bp.put("/clients/<int:client_id>")
@require_professional
def update_client(client_id: int):
    """Change one of the professional's clients."""
    client_in = parse_body(schemas.ClientUpdate)
    with unit_of_work() as uow:
        client = catalog.update_client(uow, professional_id=_pid(), client_id=client_id, client_in=client_in)
        return dump(schemas.ClientRead, client)


@bp.get("/clients/<int:client_id>/export")
@require_professional
def export_client(client_id: int):
    """Everything held about one of the professional's clients, notes decrypted, to hand over to them."""
    with unit_of_work() as uow:
        return dump(privacy_schemas.ClientExportRead,
                    export.export_client(uow, professional_id=_pid(), client_id=client_id))


@bp.delete("/clients/<int:client_id>")
@require_professional
def erase_client(client_id: int):
    """Erase one of the professional's clients (409 while an appointment or request of theirs is ahead)."""
    origin = Origin(client_address(), current_request_id())
    with unit_of_work() as uow:
        return dump(privacy_schemas.ClientErasureRead,
                    erasure.erase_client(uow, professional_id=_pid(), client_id=client_id,
                                         actor_user_id=current_principal().user_id, origin=origin))


app = create_app("catalog", bp)
