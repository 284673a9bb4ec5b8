"""Tenant isolation: another professional's blocks, time off and services are a 404 in every endpoint."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.models import AvailabilityBlock, TimeOff
from tests.factories import make_block, make_service


@pytest.fixture
def foreign(uow, other_professional):
    """Another professional's block, time off and service."""
    block = make_block(uow.session, other_professional, weekday=0, start="09:00", end="13:00")
    time_off = TimeOff(professional_id=other_professional.id,
                       start_datetime=dt.datetime(2030, 8, 1, tzinfo=dt.UTC),
                       end_datetime=dt.datetime(2030, 8, 2, tzinfo=dt.UTC))
    uow.session.add(time_off)
    service = make_service(uow.session, other_professional)
    uow.commit()
    return {"block": block.id, "time_off": time_off.id, "service": service.id}


@pytest.mark.parametrize(("method", "path", "body"), [
    ("PUT", "/availability/blocks/{block}", {"start_time": "10:00"}),
    ("DELETE", "/availability/blocks/{block}", None),
    ("DELETE", "/availability/time-off/{time_off}", None),
    ("GET", "/availability/slots?service_id={service}&date=2030-01-07", None),
])
def test_another_professionals_object_is_404_and_untouched(gateway, headers, foreign, uow, method, path,
                                                           body):
    response = gateway.open(path.format(**foreign), method=method, json=body, headers=headers)

    assert response.status_code == 404
    uow.session.expire_all()
    block = uow.session.get(AvailabilityBlock, foreign["block"])
    assert (block.start_time, block.end_time) == (dt.time(9), dt.time(13))
    assert uow.session.get(TimeOff, foreign["time_off"]) is not None


def test_lists_show_only_the_professionals_own_objects(gateway, headers, foreign):
    blocks = gateway.get("/availability/blocks", headers=headers).get_json()
    time_off = gateway.get("/availability/time-off", headers=headers).get_json()

    assert blocks == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert time_off == {"items": [], "total": 0, "limit": 50, "offset": 0}


def test_new_blocks_belong_to_the_token_professional(gateway, headers, open_professional, foreign, uow):
    response = gateway.post("/availability/blocks", headers=headers,
                            json={"weekday": 0, "start_time": "09:00", "end_time": "13:00"})

    assert response.status_code == 201
    block = uow.session.get(AvailabilityBlock, response.get_json()["id"])
    assert block.professional_id == open_professional.id
