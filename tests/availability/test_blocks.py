"""Availability blocks over HTTP: weekly and one-off, validation, overlaps under a lock, tenancy."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, text

from shared.availability import service as availability
from shared.db import get_engine, unit_of_work
from shared.errors import Conflict
from shared.models import AvailabilityBlock, Professional
from tests.factories import make_block

MONDAY_MORNING = {"weekday": 0, "start_time": "09:00", "end_time": "13:00"}


def count_blocks(uow) -> int:
    return uow.session.scalar(select(func.count()).select_from(AvailabilityBlock))


def stored(uow, block_id: int) -> AvailabilityBlock:
    uow.session.expire_all()
    return uow.session.get(AvailabilityBlock, block_id)


def test_create_weekly_block(gateway, headers, open_professional, uow):
    response = gateway.post("/availability/blocks", json=MONDAY_MORNING, headers=headers)

    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/availability/blocks/{body['id']}"
    shown = ("is_recurring", "weekday", "specific_date", "start_time", "end_time")
    assert {k: body[k] for k in shown} == {"is_recurring": True, "weekday": 0, "specific_date": None,
                                           "start_time": "09:00", "end_time": "13:00"}
    row = stored(uow, body["id"])
    assert (row.professional_id, row.start_time, row.end_time) == (open_professional.id, dt.time(9),
                                                                   dt.time(13))


def test_create_one_off_block(gateway, headers):
    response = gateway.post("/availability/blocks", headers=headers,
                            json={"specific_date": "2030-05-04", "start_time": "16:30", "end_time": "19:00"})

    assert response.status_code == 201
    body = response.get_json()
    assert (body["is_recurring"], body["weekday"], body["specific_date"]) == (False, None, "2030-05-04")


@pytest.mark.parametrize("body", [
    {**MONDAY_MORNING, "is_recurring": True},
    {"specific_date": "2030-05-04", "is_recurring": False, "start_time": "09:00", "end_time": "10:00"},
])
def test_is_recurring_may_come_with_the_day_it_agrees_with(gateway, headers, uow, body):
    response = gateway.post("/availability/blocks", json=body, headers=headers)

    assert response.status_code == 201
    created = response.get_json()
    assert (created["is_recurring"], created["weekday"], created["specific_date"]) == (
        body["is_recurring"], body.get("weekday"), body.get("specific_date"))


@pytest.mark.parametrize(("body", "fields"), [
    ({"start_time": "09:00", "end_time": "10:00"}, {"weekday", "specific_date"}),
    ({"is_recurring": True, "start_time": "09:00", "end_time": "10:00"}, {"weekday", "specific_date"}),
    ({"specific_date": "2030-05-04", "is_recurring": True, "start_time": "09:00", "end_time": "10:00"},
     {"is_recurring"}),
    ({**MONDAY_MORNING, "is_recurring": "true"}, {"is_recurring"}),
    ({**MONDAY_MORNING, "is_recurring": 1}, {"is_recurring"}),
    ({**MONDAY_MORNING, "is_recurring": None}, {"is_recurring"}),
    ({**MONDAY_MORNING, "specific_date": "2030-05-04"}, {"weekday", "specific_date"}),
    ({**MONDAY_MORNING, "weekday": None}, {"weekday", "specific_date"}),
    ({**MONDAY_MORNING, "weekday": 7}, {"weekday"}),
    ({**MONDAY_MORNING, "weekday": -1}, {"weekday"}),
    ({**MONDAY_MORNING, "weekday": "1"}, {"weekday"}),
    ({**MONDAY_MORNING, "weekday": True}, {"weekday"}),
    ({**MONDAY_MORNING, "weekday": 1.5}, {"weekday"}),
    ({"specific_date": "2030-02-30", "start_time": "09:00", "end_time": "10:00"}, {"specific_date"}),
    ({"specific_date": "04/05/2030", "start_time": "09:00", "end_time": "10:00"}, {"specific_date"}),
    ({"specific_date": "0001-01-01", "start_time": "09:00", "end_time": "10:00"}, {"specific_date"}),
    ({**MONDAY_MORNING, "start_time": "9:00"}, {"start_time"}),
    ({**MONDAY_MORNING, "start_time": "24:00"}, {"start_time"}),
    ({**MONDAY_MORNING, "start_time": "09:00:00"}, {"start_time"}),
    ({**MONDAY_MORNING, "start_time": 900}, {"start_time"}),
    ({**MONDAY_MORNING, "end_time": "09:00"}, {"end_time"}),
    ({**MONDAY_MORNING, "end_time": "08:00"}, {"end_time"}),
    ({**MONDAY_MORNING, "end_time": "00:00"}, {"end_time"}),
    ({"weekday": 0, "end_time": "10:00"}, {"start_time"}),
    ({"weekday": 0, "start_time": "10:00"}, {"end_time"}),
    ({**MONDAY_MORNING, "is_recurring": False}, {"is_recurring"}),
    ({**MONDAY_MORNING, "professional_id": 99}, {"professional_id"}),
])
def test_invalid_block_is_422_with_field_errors(gateway, headers, uow, body, fields):
    response = gateway.post("/availability/blocks", json=body, headers=headers)

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == fields
    assert count_blocks(uow) == 0


@pytest.mark.parametrize("body", [
    {"weekday": 0, "start_time": "12:00", "end_time": "14:00"},
    {"weekday": 0, "start_time": "08:00", "end_time": "09:30"},
    {"weekday": 0, "start_time": "10:00", "end_time": "11:00"},
    {"weekday": 0, "start_time": "08:00", "end_time": "14:00"},
    {"weekday": 0, "start_time": "09:00", "end_time": "10:00"},
])
def test_overlapping_weekly_block_on_the_same_weekday_is_409(gateway, headers, open_professional, uow, body):
    existing = make_block(uow.session, open_professional, weekday=0, start="09:00", end="13:00")
    uow.commit()

    response = gateway.post("/availability/blocks", json=body, headers=headers)

    assert response.status_code == 409
    assert response.get_json()["conflicting_block_id"] == existing.id
    assert "overlaps" in response.get_json()["detail"]
    assert count_blocks(uow) == 1


@pytest.mark.parametrize("body", [
    {"weekday": 0, "start_time": "13:00", "end_time": "15:00"},
    {"weekday": 0, "start_time": "07:00", "end_time": "09:00"},
    {"weekday": 1, "start_time": "09:00", "end_time": "13:00"},
    {"specific_date": "2030-05-06", "start_time": "10:00", "end_time": "11:00"},
])
def test_adjacent_blocks_other_weekdays_and_one_off_blocks_do_not_clash_with_weekly(gateway, headers,
                                                                                   open_professional, uow,
                                                                                   body):
    make_block(uow.session, open_professional, weekday=0, start="09:00", end="13:00")
    uow.commit()

    assert gateway.post("/availability/blocks", json=body, headers=headers).status_code == 201


def test_overlapping_one_off_blocks_on_the_same_date_are_409(gateway, headers, open_professional, uow):
    make_block(uow.session, open_professional, specific_date=dt.date(2030, 5, 4), start="16:00", end="18:00")
    uow.commit()

    clash = gateway.post("/availability/blocks", headers=headers,
                         json={"specific_date": "2030-05-04", "start_time": "17:00", "end_time": "19:00"})
    other_day = gateway.post("/availability/blocks", headers=headers,
                             json={"specific_date": "2030-05-05", "start_time": "17:00", "end_time": "19:00"})

    assert clash.status_code == 409
    assert other_day.status_code == 201


def test_another_professionals_blocks_never_clash(gateway, headers, other_professional, uow):
    make_block(uow.session, other_professional, weekday=0, start="09:00", end="13:00")
    uow.commit()

    assert gateway.post("/availability/blocks", json=MONDAY_MORNING, headers=headers).status_code == 201


def test_concurrent_creates_wait_for_the_professional_lock_so_one_overlap_loses(db_url, open_professional):
    """A transaction holding the professional row makes a create wait, which then sees the new block."""
    holder = get_engine().connect()
    holder_tx = holder.begin()
    holder.execute(select(Professional.id).where(Professional.id == open_professional.id).with_for_update())
    holder.execute(text("INSERT INTO availability_blocks (professional_id, is_recurring, weekday,"
                        " start_time, end_time) VALUES (:pid, true, 2, '09:00', '12:00')"),
                   {"pid": open_professional.id})
    outcome: dict[str, object] = {}

    def create_overlapping():
        try:
            with unit_of_work() as uow:
                outcome["block"] = availability.create_block(
                    uow, professional_id=open_professional.id,
                    block_in={"weekday": 2, "start_time": dt.time(10), "end_time": dt.time(13)})
        except Exception as error:  # the outcome is what the test asserts
            outcome["error"] = error

    worker = threading.Thread(target=create_overlapping)
    worker.start()
    try:
        _wait_until_a_session_waits_for_a_lock(holder)
    finally:
        holder_tx.commit()
        holder.close()
    worker.join(timeout=30)

    assert not worker.is_alive()
    assert isinstance(outcome.get("error"), Conflict), outcome
    with unit_of_work() as uow:
        assert count_blocks(uow) == 1


def _wait_until_a_session_waits_for_a_lock(holder) -> None:
    """Poll pg_stat_activity until a session waits on a lock (no timed assertion: polling only ends early)."""
    for _ in range(3000):
        with get_engine().connect() as probe:
            waiting = probe.scalar(text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"))
        if waiting:
            return
        threading.Event().wait(0.01)
    raise AssertionError("the create never waited for the professional's row lock")


def test_update_block_changes_times_and_can_switch_to_a_one_off(gateway, headers, open_professional, uow):
    block = make_block(uow.session, open_professional, weekday=0, start="09:00", end="13:00")
    uow.commit()

    moved = gateway.put(f"/availability/blocks/{block.id}", json={"end_time": "14:00"}, headers=headers)
    switched = gateway.put(f"/availability/blocks/{block.id}", json={"specific_date": "2030-05-04"},
                           headers=headers)

    assert moved.status_code == 200
    assert (moved.get_json()["start_time"], moved.get_json()["end_time"]) == ("09:00", "14:00")
    assert switched.status_code == 200
    assert {k: switched.get_json()[k] for k in ("is_recurring", "weekday", "specific_date")} == {
        "is_recurring": False, "weekday": None, "specific_date": "2030-05-04"}
    row = stored(uow, block.id)
    assert (row.is_recurring, row.weekday, row.specific_date, row.end_time) == (
        False, None, dt.date(2030, 5, 4), dt.time(14))


def test_update_with_is_recurring_switches_only_along_with_the_day(gateway, headers, open_professional, uow):
    block = make_block(uow.session, open_professional, weekday=0, start="09:00", end="13:00")
    uow.commit()
    url = f"/availability/blocks/{block.id}"

    same = gateway.put(url, json={"is_recurring": True}, headers=headers)
    switched = gateway.put(url, json={"is_recurring": False, "specific_date": "2030-05-04"}, headers=headers)
    back = gateway.put(url, json={"is_recurring": True, "weekday": 3}, headers=headers)

    kind = ("is_recurring", "weekday", "specific_date")
    assert (same.status_code, switched.status_code, back.status_code) == (200, 200, 200)
    assert [same.get_json()[k] for k in kind] == [True, 0, None]
    assert [switched.get_json()[k] for k in kind] == [False, None, "2030-05-04"]
    assert [back.get_json()[k] for k in kind] == [True, 3, None]


def test_update_does_not_clash_with_the_block_itself(gateway, headers, open_professional, uow):
    block = make_block(uow.session, open_professional, weekday=0, start="09:00", end="13:00")
    uow.commit()

    response = gateway.put(f"/availability/blocks/{block.id}", headers=headers,
                           json={"start_time": "10:00", "end_time": "12:00"})

    assert response.status_code == 200


def test_update_into_an_overlap_is_409_and_changes_nothing(gateway, headers, open_professional, uow):
    make_block(uow.session, open_professional, weekday=0, start="09:00", end="13:00")
    tuesday = make_block(uow.session, open_professional, weekday=1, start="10:00", end="12:00")
    uow.commit()

    response = gateway.put(f"/availability/blocks/{tuesday.id}", json={"weekday": 0}, headers=headers)

    assert response.status_code == 409
    assert stored(uow, tuesday.id).weekday == 1


@pytest.mark.parametrize(("body", "field"), [
    ({}, "_schema"),
    ({"start_time": "13:00"}, "end_time"),
    ({"end_time": "08:00"}, "end_time"),
    ({"start_time": "11:00", "end_time": "10:00"}, "end_time"),
    ({"weekday": 0, "specific_date": "2030-05-04"}, "weekday"),
    ({"weekday": 9}, "weekday"),
    ({"start_time": "noon"}, "start_time"),
    ({"is_recurring": False}, "specific_date"),
    ({"is_recurring": False, "weekday": 2}, "is_recurring"),
    ({"is_recurring": True, "specific_date": "2030-05-04"}, "is_recurring"),
])
def test_invalid_block_update_is_422_and_changes_nothing(gateway, headers, open_professional, uow, body,
                                                         field):
    block = make_block(uow.session, open_professional, weekday=0, start="09:00", end="13:00")
    uow.commit()

    response = gateway.put(f"/availability/blocks/{block.id}", json=body, headers=headers)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    row = stored(uow, block.id)
    assert (row.weekday, row.start_time, row.end_time) == (0, dt.time(9), dt.time(13))


def test_delete_block(gateway, headers, open_professional, uow):
    block = make_block(uow.session, open_professional, weekday=0)
    uow.commit()

    first = gateway.delete(f"/availability/blocks/{block.id}", headers=headers)
    second = gateway.delete(f"/availability/blocks/{block.id}", headers=headers)

    assert (first.status_code, second.status_code) == (204, 404)
    assert count_blocks(uow) == 0


def test_list_blocks_weekly_first_then_one_off_by_date_and_paged(gateway, headers, open_professional, uow):
    make_block(uow.session, open_professional, specific_date=dt.date(2030, 5, 4), start="16:00", end="18:00")
    make_block(uow.session, open_professional, weekday=2, start="09:00", end="10:00")
    make_block(uow.session, open_professional, weekday=0, start="15:00", end="16:00")
    make_block(uow.session, open_professional, weekday=0, start="09:00", end="10:00")
    make_block(uow.session, open_professional, specific_date=dt.date(2030, 1, 2), start="09:00", end="10:00")
    uow.commit()

    body = gateway.get("/availability/blocks", headers=headers).get_json()
    page = gateway.get("/availability/blocks?limit=2&offset=3", headers=headers).get_json()

    assert [(b["weekday"], b["specific_date"], b["start_time"]) for b in body["items"]] == [
        (0, None, "09:00"), (0, None, "15:00"), (2, None, "09:00"), (None, "2030-01-02", "09:00"),
        (None, "2030-05-04", "16:00")]
    assert body["total"] == 5
    assert [b["specific_date"] for b in page["items"]] == ["2030-01-02", "2030-05-04"]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 3)


def test_blocks_need_a_professional_token(gateway):
    assert gateway.get("/availability/blocks").status_code == 401
    assert gateway.post("/availability/blocks", json=MONDAY_MORNING).status_code == 401
