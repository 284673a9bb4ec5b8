"""Notifications function: the logged-in professional's outbox: what was sent, when, and what failed."""

from flask import Blueprint

from shared.db import unit_of_work
from shared.http import (
    create_app,
    current_principal,
    dump,
    page,
    page_params,
    parse_query,
    require_professional,
)
from shared.notifications import schemas
from shared.notifications import service as notifications

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@require_professional
def list_notifications():
    """List the professional's notifications, newest first, by ?status= and creation time ?from=/?to=."""
    query = parse_query(schemas.NotificationQuery)
    limit, offset = page_params()
    with unit_of_work() as uow:
        items, total = notifications.get_all(uow, professional_id=current_principal().professional_id,
                                             limit=limit, offset=offset, **query)
        return page(dump(schemas.NotificationRead, items, many=True), total, limit, offset)


app = create_app("notifications", bp)
