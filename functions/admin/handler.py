"""Admin function: the operator's view of professionals, their activation, and platform statistics."""

from flask import Blueprint

from shared.accounts.common import Origin
from shared.admin import schemas
from shared.admin import service as admin
from shared.db import unit_of_work
from shared.http import (
    client_address,
    create_app,
    current_principal,
    current_request_id,
    dump,
    page,
    page_params,
    parse_body,
    parse_query,
    require_admin,
)
from shared.privacy import closure
from shared.privacy import schemas as privacy_schemas

bp = Blueprint("admin", __name__)


def _origin() -> Origin:
    return Origin(client_address(), current_request_id())


@bp.get("/admin/professionals")
@require_admin
def list_professionals():
    """List professionals, newest first, searched by ?q= (name, email, slug) and filtered by ?is_active=."""
    filters = parse_query(schemas.ProfessionalQuery)
    limit, offset = page_params()
    with unit_of_work() as uow:
        items, total = admin.get_all_professionals(uow, limit=limit, offset=offset, **filters)
        return page(dump(schemas.ProfessionalRead, items, many=True), total, limit, offset)


@bp.get("/admin/professionals/<int:professional_id>")
@require_admin
def get_professional(professional_id: int):
    """Show one professional with its counts of services, clients and appointments by status."""
    with unit_of_work() as uow:
        detail = admin.get_professional(uow, professional_id=professional_id)
        return dump(schemas.ProfessionalDetailRead, detail)


@bp.put("/admin/professionals/<int:professional_id>/status")
@require_admin
def set_professional_status(professional_id: int):
    """Activate or deactivate a professional (account, public page and sessions), audited."""
    status_in = parse_body(schemas.ProfessionalStatusUpdate)
    with unit_of_work() as uow:
        detail = admin.set_status(uow, professional_id=professional_id, is_active=status_in["is_active"],
                                  actor_user_id=current_principal().user_id, origin=_origin())
        return dump(schemas.ProfessionalDetailRead, detail)


@bp.delete("/admin/professionals/<int:professional_id>")
@require_admin
def close_professional(professional_id: int):
    """Remove a professional: every client erased (their export offered first), the account switched off."""
    close_in = parse_body(privacy_schemas.AccountClose)
    with unit_of_work() as uow:
        return dump(privacy_schemas.AccountClosureRead,
                    closure.close_account(uow, professional_id=professional_id, confirm=close_in["confirm"],
                                          actor_user_id=current_principal().user_id, origin=_origin()))


@bp.get("/admin/stats")
@require_admin
def stats():
    """Appointments by status, clients and active services over ?from=&to=: totals and per professional."""
    query = parse_query(schemas.StatsQuery)
    limit, offset = page_params()
    start, end = admin.period(query.get("date_from"), query.get("date_to"))
    with unit_of_work() as uow:
        return dump(schemas.StatsRead, admin.get_stats(uow, start=start, end=end, limit=limit, offset=offset))


app = create_app("admin", bp)
