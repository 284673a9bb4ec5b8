"""Availability function: the logged-in professional's blocks, time off and slots, and calendars."""

from flask import Blueprint

from shared.availability import schemas
from shared.availability import service as availability
from shared.db import unit_of_work
from shared.http import (
    create_app,
    created,
    current_principal,
    dump,
    no_content,
    page,
    page_params,
    parse_body,
    parse_query,
    require_professional,
)

from .calendars import bp as calendars_bp

bp = Blueprint("availability", __name__)


def _pid() -> int:
    return current_principal().professional_id


@bp.get("/availability/blocks")
@require_professional
def list_blocks():
    """List the professional's availability blocks, weekly ones first, paged."""
    limit, offset = page_params()
    with unit_of_work() as uow:
        blocks, total = availability.get_all_blocks(uow, professional_id=_pid(), limit=limit, offset=offset)
        return page(dump(schemas.BlockRead, blocks, many=True), total, limit, offset)


@bp.post("/availability/blocks")
@require_professional
def create_block():
    """Add a weekly or one-off availability block."""
    block_in = parse_body(schemas.BlockCreate)
    with unit_of_work() as uow:
        block = availability.create_block(uow, professional_id=_pid(), block_in=block_in)
        return created(dump(schemas.BlockRead, block), f"/availability/blocks/{block.id}")


@bp.put("/availability/blocks/<int:block_id>")
@require_professional
def update_block(block_id: int):
    """Change one of the professional's availability blocks."""
    block_in = parse_body(schemas.BlockUpdate)
    with unit_of_work() as uow:
        block = availability.update_block(uow, professional_id=_pid(), block_id=block_id, block_in=block_in)
        return dump(schemas.BlockRead, block)


@bp.delete("/availability/blocks/<int:block_id>")
@require_professional
def delete_block(block_id: int):
    """Remove one of the professional's availability blocks."""
    with unit_of_work() as uow:
        availability.delete_block(uow, professional_id=_pid(), block_id=block_id)
    return no_content()


@bp.get("/availability/time-off")
@require_professional
def list_time_off():
    """List the professional's time off overlapping ?from= and ?to= (dates or datetimes), paged."""
    query = parse_query(schemas.TimeOffQuery)
    limit, offset = page_params()
    with unit_of_work() as uow:
        periods, total = availability.get_all_time_off(uow, professional_id=_pid(), limit=limit,
                                                       offset=offset, **query)
        return page(dump(schemas.TimeOffRead, periods, many=True), total, limit, offset)


@bp.post("/availability/time-off")
@require_professional
def create_time_off():
    """Add a period of time off."""
    time_off_in = parse_body(schemas.TimeOffCreate)
    with unit_of_work() as uow:
        time_off = availability.create_time_off(uow, professional_id=_pid(), time_off_in=time_off_in)
        return created(dump(schemas.TimeOffRead, time_off), f"/availability/time-off/{time_off.id}")


@bp.delete("/availability/time-off/<int:time_off_id>")
@require_professional
def delete_time_off(time_off_id: int):
    """Remove one of the professional's periods of time off."""
    with unit_of_work() as uow:
        availability.delete_time_off(uow, professional_id=_pid(), time_off_id=time_off_id)
    return no_content()


@bp.get("/availability/slots")
@require_professional
def list_slots():
    """The slots offered for one of the professional's services on ?date= or ?from=&to= (local dates)."""
    query = parse_query(schemas.SlotQuery)
    with unit_of_work() as uow:
        return schemas.dump_slots(availability.get_slots(uow, professional_id=_pid(), **query))


app = create_app("availability", bp, calendars_bp)
