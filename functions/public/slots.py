"""Public slots: what anyone may book with a professional, found by their public slug (no login)."""

from flask import Blueprint

from shared import ratelimit
from shared.availability import schemas
from shared.availability import service as availability
from shared.db import unit_of_work
from shared.http import client_address, parse_query

bp = Blueprint("public_slots", __name__)


def limit_slot_lookup() -> None:
    """RATE_LIMIT_PUBLIC_SLOTS, per client address (IPv6: per /64)."""
    ratelimit.hit("public_slots", ratelimit.address_key(client_address()))


@bp.get("/public/professionals/<slug>/slots")
def list_public_slots(slug: str):
    """The slots offered for an active service of an active professional (rate limited per client IP)."""
    limit_slot_lookup()
    query = parse_query(schemas.SlotQuery)
    with unit_of_work() as uow:
        return schemas.dump_slots(availability.get_public_slots(uow, slug=slug, **query))
