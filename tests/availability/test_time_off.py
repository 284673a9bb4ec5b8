"""Time off over HTTP: aware datetimes only, ordered ranges, listing by range, tenancy."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from shared.models import TimeOff

VALID = {"start_datetime": "2030-08-01T00:00:00+02:00", "end_datetime": "2030-08-16T00:00:00+02:00",
         "reason": "Summer"}


def count_time_off(uow) -> int:
    return uow.session.scalar(select(func.count()).select_from(TimeOff))


def add(uow, professional, start: str, end: str, reason: str | None = None) -> TimeOff:
    row = TimeOff(professional_id=professional.id, start_datetime=dt.datetime.fromisoformat(start),
                  end_datetime=dt.datetime.fromisoformat(end), reason=reason)
    uow.session.add(row)
    uow.session.flush()
    return row


def test_create_time_off_stores_utc_instants(gateway, headers, open_professional, uow):
    response = gateway.post("/availability/time-off", json=VALID, headers=headers)

    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/availability/time-off/{body['id']}"
    assert set(body) == {"id", "start_datetime", "end_datetime", "reason", "created_at", "updated_at"}
    assert dt.datetime.fromisoformat(body["start_datetime"]) == dt.datetime(2030, 7, 31, 22, tzinfo=dt.UTC)
    assert body["reason"] == "Summer"
    row = uow.session.get(TimeOff, body["id"])
    assert row.professional_id == open_professional.id
    assert row.end_datetime == dt.datetime(2030, 8, 15, 22, tzinfo=dt.UTC)


@pytest.mark.parametrize(("change", "field"), [
    ({"start_datetime": "2030-08-01T00:00:00"}, "start_datetime"),
    ({"end_datetime": "2030-08-16 00:00"}, "end_datetime"),
    ({"start_datetime": "2030-08-01"}, "start_datetime"),
    ({"start_datetime": "yesterday"}, "start_datetime"),
    ({"start_datetime": 1893456000}, "start_datetime"),
    ({"start_datetime": None}, "start_datetime"),
    ({"start_datetime": "0001-01-01T00:00:00+05:00"}, "start_datetime"),
    ({"end_datetime": "9999-12-31T23:59:00-05:00"}, "end_datetime"),
    ({"end_datetime": "2030-08-01T00:00:00+02:00"}, "end_datetime"),
    ({"end_datetime": "2030-07-31T23:00:00+01:00"}, "end_datetime"),
    ({"end_datetime": "2030-07-01T00:00:00Z"}, "end_datetime"),
    ({"reason": "x" * 201}, "reason"),
    ({"professional_id": 3}, "professional_id"),
])
def test_invalid_time_off_is_422_with_field_errors(gateway, headers, uow, change, field):
    response = gateway.post("/availability/time-off", json={**VALID, **change}, headers=headers)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert count_time_off(uow) == 0


@pytest.mark.parametrize("missing", ["start_datetime", "end_datetime"])
def test_time_off_requires_start_and_end(gateway, headers, missing):
    body = {key: value for key, value in VALID.items() if key != missing}

    response = gateway.post("/availability/time-off", json=body, headers=headers)

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [missing]


def test_reason_is_optional_and_blank_means_none(gateway, headers):
    response = gateway.post("/availability/time-off", json={**VALID, "reason": "   "}, headers=headers)

    assert response.status_code == 201
    assert response.get_json()["reason"] is None


@pytest.fixture
def periods(uow, open_professional, other_professional):
    """Three periods of time off (Madrid days in June 2030), and one of another professional."""
    rows = {
        "june_3": add(uow, open_professional, "2030-06-03T09:00:00+02:00", "2030-06-03T14:00:00+02:00"),
        "june_5_night": add(uow, open_professional, "2030-06-05T23:30:00+02:00", "2030-06-06T01:00:00+02:00"),
        "june_10_12": add(uow, open_professional, "2030-06-10T00:00:00+02:00", "2030-06-13T00:00:00+02:00"),
    }
    add(uow, other_professional, "2030-06-01T00:00:00+02:00", "2030-06-30T00:00:00+02:00")
    uow.commit()
    return {name: row.id for name, row in rows.items()}


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["june_3", "june_5_night", "june_10_12"]),
    ("from=2030-06-04", ["june_5_night", "june_10_12"]),
    ("to=2030-06-05", ["june_3", "june_5_night"]),
    ("from=2030-06-06&to=2030-06-06", ["june_5_night"]),
    ("from=2030-06-11&to=2030-06-11", ["june_10_12"]),
    ("from=2030-06-13", []),
    ("from=2030-06-03T14:00:00%2B02:00&to=2030-06-05T23:30:00%2B02:00", []),
    ("from=2030-06-03T13:59:00%2B02:00&to=2030-06-04T00:00:00Z", ["june_3"]),
])
def test_list_time_off_overlapping_a_range_of_local_days_or_instants(gateway, headers, periods, query,
                                                                     expected):
    response = gateway.get(f"/availability/time-off?{query}", headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert [item["id"] for item in body["items"]] == [periods[name] for name in expected]
    assert body["total"] == len(expected)


def test_list_time_off_is_paged(gateway, headers, periods):
    body = gateway.get("/availability/time-off?limit=1&offset=1", headers=headers).get_json()

    assert [item["id"] for item in body["items"]] == [periods["june_5_night"]]
    assert (body["total"], body["limit"], body["offset"]) == (3, 1, 1)


@pytest.mark.parametrize(("query", "field"), [("from=june", "from"), ("to=2030-06-01T00:00:00", "to"),
                                              ("to=2030-02-30", "to"), ("limit=500", "limit")])
def test_bad_time_off_filters_are_422(gateway, headers, query, field):
    response = gateway.get(f"/availability/time-off?{query}", headers=headers)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_delete_time_off(gateway, headers, periods, uow):
    first = gateway.delete(f"/availability/time-off/{periods['june_3']}", headers=headers)
    second = gateway.delete(f"/availability/time-off/{periods['june_3']}", headers=headers)

    assert (first.status_code, second.status_code) == (204, 404)
    assert count_time_off(uow) == 3


def test_time_off_needs_a_professional_token(gateway):
    assert gateway.get("/availability/time-off").status_code == 401
    assert gateway.post("/availability/time-off", json=VALID).status_code == 401
