"""Services over HTTP: CRUD scoped to the logged-in professional, validation, soft delete."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shared.models import Service
from tests.factories import make_service

VALID = {"name": "Therapy", "duration_minutes": 50, "price": "45.00"}


def stored(uow, service_id: int) -> Service:
    uow.session.expire_all()
    return uow.session.get(Service, service_id)


def count_services(uow) -> int:
    return uow.session.scalar(select(func.count()).select_from(Service))


def test_create_service_returns_201_with_location_and_read_shape(gateway, headers, professional, uow):
    response = gateway.post("/services", json={**VALID, "description": "  Individual session  "},
                            headers=headers)

    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/services/{body['id']}"
    assert set(body) == {"id", "name", "description", "duration_minutes", "price", "is_active",
                         "created_at", "updated_at"}
    assert body | {"created_at": None, "updated_at": None, "id": None} == {
        "id": None, "name": "Therapy", "description": "Individual session", "duration_minutes": 50,
        "price": "45.00", "is_active": True, "created_at": None, "updated_at": None}
    assert body["created_at"].endswith("+00:00")
    assert stored(uow, body["id"]).professional_id == professional.id


@pytest.mark.parametrize(("given", "returned", "stored_value"), [
    ("45", "45.00", Decimal("45.00")),
    ("45.5", "45.50", Decimal("45.50")),
    ("0", "0.00", Decimal("0.00")),
    (" 19.99 ", "19.99", Decimal("19.99")),
    ("99999999.99", "99999999.99", Decimal("99999999.99")),
])
def test_price_is_a_decimal_string_kept_exactly(gateway, headers, uow, given, returned, stored_value):
    response = gateway.post("/services", json={**VALID, "price": given}, headers=headers)

    assert response.status_code == 201
    assert response.get_json()["price"] == returned
    assert stored(uow, response.get_json()["id"]).price == stored_value


@pytest.mark.parametrize(("change", "field"), [
    ({"name": None}, "name"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": 42}, "name"),
    ({"duration_minutes": 4}, "duration_minutes"),
    ({"duration_minutes": 721}, "duration_minutes"),
    ({"duration_minutes": "60"}, "duration_minutes"),
    ({"duration_minutes": 60.5}, "duration_minutes"),
    ({"duration_minutes": True}, "duration_minutes"),
    ({"duration_minutes": None}, "duration_minutes"),
    ({"price": 45}, "price"),
    ({"price": 45.0}, "price"),
    ({"price": "45.001"}, "price"),
    ({"price": "-1.00"}, "price"),
    ({"price": "abc"}, "price"),
    ({"price": "NaN"}, "price"),
    ({"price": "1e3"}, "price"),
    ({"price": "100000000.00"}, "price"),
    ({"price": None}, "price"),
    ({"description": "x" * 5001}, "description"),
    ({"professional_id": 999}, "professional_id"),
    ({"is_active": False}, "is_active"),
])
def test_create_service_rejects_invalid_fields_with_422(gateway, headers, uow, change, field):
    response = gateway.post("/services", json={**VALID, **change}, headers=headers)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert count_services(uow) == 0


@pytest.mark.parametrize("missing", ["name", "duration_minutes", "price"])
def test_create_service_requires_name_duration_and_price(gateway, headers, missing):
    body = {key: value for key, value in VALID.items() if key != missing}
    response = gateway.post("/services", json=body, headers=headers)

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [missing]


def test_list_shows_active_services_by_default_and_inactive_on_request(gateway, headers, professional, uow):
    make_service(uow.session, professional, name="Bravo")
    make_service(uow.session, professional, name="Alpha")
    make_service(uow.session, professional, name="Retired", is_active=False)
    uow.commit()

    active = gateway.get("/services", headers=headers).get_json()
    everything = gateway.get("/services?include_inactive=true", headers=headers).get_json()

    assert [s["name"] for s in active["items"]] == ["Alpha", "Bravo"]
    assert active["total"] == 2
    assert [s["name"] for s in everything["items"]] == ["Alpha", "Bravo", "Retired"]
    assert everything["total"] == 3


def test_list_services_is_paged(gateway, headers, professional, uow):
    for name in "ABCDE":
        make_service(uow.session, professional, name=name)
    uow.commit()

    body = gateway.get("/services?limit=2&offset=2", headers=headers).get_json()

    assert [s["name"] for s in body["items"]] == ["C", "D"]
    assert (body["total"], body["limit"], body["offset"]) == (5, 2, 2)


def test_include_inactive_must_be_a_boolean(gateway, headers):
    response = gateway.get("/services?include_inactive=maybe", headers=headers)

    assert response.status_code == 422
    assert "include_inactive" in response.get_json()["errors"]


def test_delete_deactivates_the_service_and_keeps_it(gateway, headers, service, uow):
    response = gateway.delete(f"/services/{service.id}", headers=headers)

    assert response.status_code == 204
    assert response.data == b""
    assert stored(uow, service.id).is_active is False
    assert gateway.get("/services", headers=headers).get_json()["items"] == []
    listed = gateway.get("/services?include_inactive=true", headers=headers).get_json()["items"]
    assert [(s["id"], s["is_active"]) for s in listed] == [(service.id, False)]


def test_update_changes_only_the_given_fields(gateway, headers, service, uow):
    response = gateway.put(f"/services/{service.id}", json={"price": "60", "description": "Longer"},
                           headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["duration_minutes"], body["price"], body["description"]) == (
        "Therapy", 60, "60.00", "Longer")
    assert stored(uow, service.id).price == Decimal("60.00")


def test_update_can_reactivate_a_deactivated_service(gateway, headers, professional, uow):
    retired = make_service(uow.session, professional, is_active=False)
    uow.commit()

    response = gateway.put(f"/services/{retired.id}", json={"is_active": True}, headers=headers)

    assert response.status_code == 200
    assert response.get_json()["is_active"] is True
    assert stored(uow, retired.id).is_active is True


@pytest.mark.parametrize(("body", "field"), [
    ({}, "_schema"),
    ({"name": None}, "name"),
    ({"name": " "}, "name"),
    ({"duration_minutes": 0}, "duration_minutes"),
    ({"price": 10}, "price"),
    ({"is_active": "yes"}, "is_active"),
    ({"is_active": 1}, "is_active"),
    ({"is_active": None}, "is_active"),
    ({"professional_id": 2}, "professional_id"),
])
def test_invalid_update_is_422_and_changes_nothing(gateway, headers, service, uow, body, field):
    response = gateway.put(f"/services/{service.id}", json=body, headers=headers)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    row = stored(uow, service.id)
    assert (row.name, row.duration_minutes, row.price, row.is_active) == ("Therapy", 60, Decimal("45.00"),
                                                                          True)


def test_services_need_a_professional_token(gateway, service):
    assert gateway.get("/services").status_code == 401
    assert gateway.post("/services", json=VALID).status_code == 401
    assert gateway.delete(f"/services/{service.id}").status_code == 401


def test_unknown_service_is_404(gateway, headers):
    assert gateway.put("/services/999999", json={"name": "X"}, headers=headers).status_code == 404
    assert gateway.delete("/services/999999", headers=headers).status_code == 404
    assert gateway.delete(f"/services/{2**70}", headers=headers).status_code == 404


def test_body_must_be_json(gateway, headers):
    response = gateway.post("/services", data="name=x", headers={**headers, "Content-Type": "text/plain"})

    assert response.status_code == 415
