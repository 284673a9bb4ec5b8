"""Public slots: what anyone may book with a professional, found by their public slug (no login)."""

from flask import Blueprint, request

from shared import ratelimit
from shared.availability import schemas
from shared.availability import service as availability
from shared.db import unit_of_work
from shared.http import parse_query

PUBLIC_SLOTS_RATE = "120/minute"

bp = Blueprint("public_slots", __name__)


@bp.get("/public/professionals/<slug>/slots")
def list_public_slots(slug: str):
    """The slots offered for an active service of an active professional (rate limited per client IP)."""
    ip = ratelimit.client_ip(request.remote_addr, request.headers.get("X-Forwarded-For"))
    ratelimit.hit(PUBLIC_SLOTS_RATE, "public-slots", ip)
    query = parse_query(schemas.SlotQuery)
    with unit_of_work() as uow:
        return schemas.dump_slots(availability.get_public_slots(uow, slug=slug, **query))
