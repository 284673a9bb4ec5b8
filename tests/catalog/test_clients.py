"""Clients over HTTP: CRUD scoped to the professional, unique emails, search and paging."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shared.models import Client
from tests.factories import make_client

VALID = {"name": "Ana García", "email": "ana@example.com"}


def count_clients(uow) -> int:
    return uow.session.scalar(select(func.count()).select_from(Client))


def stored(uow, client_id: int) -> Client:
    uow.session.expire_all()
    return uow.session.get(Client, client_id)


def names(response) -> list[str]:
    return [item["name"] for item in response.get_json()["items"]]


def test_create_client_normalizes_email_and_trims_text(gateway, headers, professional, uow):
    response = gateway.post("/clients", json={"name": "  Ana García ", "email": "  Ana@Example.COM ",
                                              "phone": " +34 600 000 000 ", "notes": " Prefers mornings "},
                            headers=headers)

    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/clients/{body['id']}"
    assert set(body) == {"id", "name", "email", "phone", "notes", "created_at", "updated_at"}
    assert (body["name"], body["email"], body["phone"], body["notes"]) == (
        "Ana García", "ana@example.com", "+34 600 000 000", "Prefers mornings")
    assert stored(uow, body["id"]).professional_id == professional.id


def test_same_email_twice_is_409_with_a_clear_message(gateway, headers, uow):
    assert gateway.post("/clients", json=VALID, headers=headers).status_code == 201

    response = gateway.post("/clients", json={"name": "Another Ana", "email": " ANA@example.com"},
                            headers=headers)

    assert response.status_code == 409
    body = response.get_json()
    assert body["detail"] == "A client with this email already exists."
    assert body["errors"] == {"email": ["A client with this email already exists."]}
    assert count_clients(uow) == 1


def test_two_professionals_may_have_the_same_client_email(gateway, headers, other_professional):
    from tests.factories import headers_for

    assert gateway.post("/clients", json=VALID, headers=headers).status_code == 201
    assert gateway.post("/clients", json=VALID, headers=headers_for(other_professional)).status_code == 201


def test_changing_email_to_a_taken_one_is_409_and_changes_nothing(gateway, headers, professional, uow):
    make_client(uow.session, professional, email="taken@example.com")
    mine = make_client(uow.session, professional, name="Bea", email="bea@example.com")
    uow.commit()

    response = gateway.put(f"/clients/{mine.id}", json={"name": "Beatriz", "email": "TAKEN@example.com"},
                           headers=headers)

    assert response.status_code == 409
    row = stored(uow, mine.id)
    assert (row.name, row.email) == ("Bea", "bea@example.com")


@pytest.mark.parametrize(("change", "field"), [
    ({"name": ""}, "name"),
    ({"name": "  "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": None}, "name"),
    ({"email": "not-an-email"}, "email"),
    ({"email": ""}, "email"),
    ({"email": None}, "email"),
    ({"email": "a" * 250 + "@x.com"}, "email"),
    ({"phone": "1" * 41}, "phone"),
    ({"notes": "x" * 10001}, "notes"),
    ({"professional_id": 2}, "professional_id"),
])
def test_create_client_rejects_invalid_fields_with_422(gateway, headers, uow, change, field):
    response = gateway.post("/clients", json={**VALID, **change}, headers=headers)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert count_clients(uow) == 0


@pytest.mark.parametrize("missing", ["name", "email"])
def test_create_client_requires_name_and_email(gateway, headers, missing):
    body = {key: value for key, value in VALID.items() if key != missing}
    response = gateway.post("/clients", json=body, headers=headers)

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [missing]


def test_get_and_update_a_client(gateway, headers, client_row, uow):
    assert gateway.get(f"/clients/{client_row.id}", headers=headers).get_json()["email"] == "ana@example.com"

    response = gateway.put(f"/clients/{client_row.id}", json={"phone": "600", "notes": ""}, headers=headers)

    assert response.status_code == 200
    assert (response.get_json()["phone"], response.get_json()["notes"]) == ("600", None)
    row = stored(uow, client_row.id)
    assert (row.name, row.phone) == ("Ana García", "600")


@pytest.mark.parametrize(("body", "field"), [({}, "_schema"), ({"email": "nope"}, "email"),
                                             ({"name": None}, "name")])
def test_invalid_client_update_is_422_and_changes_nothing(gateway, headers, client_row, uow, body, field):
    response = gateway.put(f"/clients/{client_row.id}", json=body, headers=headers)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert stored(uow, client_row.id).email == "ana@example.com"


@pytest.fixture
def directory(uow, professional, other_professional):
    """A few clients to search among, plus one of another professional that matches everything."""
    for name, email in [("Ana García", "ana@example.com"), ("Bruno Díaz", "bruno@mail.test"),
                        ("Carla Anaya", "carla@example.com"), ("Dani Ruiz", "dani@ana-studio.test"),
                        ("Elena 100% Real", "elena@example.com"), ("Fran_Gil", "fran@example.com"),
                        ("Back\\slash", "slash@example.com")]:
        make_client(uow.session, professional, name=name, email=email)
    make_client(uow.session, other_professional, name="Ana Other", email="ana@other.test")
    uow.commit()


@pytest.mark.parametrize(("query", "expected"), [
    ("name=ana", ["Ana García", "Carla Anaya"]),
    ("name=GARC", ["Ana García"]),
    ("email=EXAMPLE.com", ["Ana García", "Carla Anaya", "Elena 100% Real", "Fran_Gil", "Back\\slash"]),
    ("email=ana", ["Ana García", "Dani Ruiz"]),
    ("q=ana", ["Ana García", "Carla Anaya", "Dani Ruiz"]),
    ("q=bruno", ["Bruno Díaz"]),
    ("name=ana&email=studio", []),
    ("name=a&email=example", ["Ana García", "Carla Anaya", "Elena 100% Real", "Fran_Gil", "Back\\slash"]),
    ("name=%25", ["Elena 100% Real"]),
    ("name=_", ["Fran_Gil"]),
    ("q=_", ["Fran_Gil"]),
    ("name=%5C", ["Back\\slash"]),
    ("name=n%25", []),
    ("name=%20%20", ["Ana García", "Back\\slash", "Bruno Díaz", "Carla Anaya", "Dani Ruiz", "Elena 100% Real",
                     "Fran_Gil"]),
    ("name=", ["Ana García", "Back\\slash", "Bruno Díaz", "Carla Anaya", "Dani Ruiz", "Elena 100% Real",
               "Fran_Gil"]),
])
def test_search_is_a_case_insensitive_partial_match_taking_wildcards_literally(gateway, headers, directory,
                                                                               query, expected):
    response = gateway.get(f"/clients?{query}", headers=headers)

    assert response.status_code == 200
    assert sorted(names(response)) == sorted(expected)
    assert response.get_json()["total"] == len(expected)


def test_clients_are_ordered_by_name_and_paged(gateway, headers, professional, uow):
    for name in ["Carmen", "Alba", "Dora", "Bea"]:
        make_client(uow.session, professional, name=name)
    uow.commit()

    first = gateway.get("/clients?limit=2", headers=headers).get_json()
    second = gateway.get("/clients?limit=2&offset=2", headers=headers).get_json()
    beyond = gateway.get("/clients?offset=10", headers=headers).get_json()

    assert [item["name"] for item in first["items"]] == ["Alba", "Bea"]
    assert [item["name"] for item in second["items"]] == ["Carmen", "Dora"]
    assert (first["total"], first["limit"], first["offset"]) == (4, 2, 0)
    assert (second["total"], second["limit"], second["offset"]) == (4, 2, 2)
    assert beyond == {"items": [], "total": 4, "limit": 50, "offset": 10}


def test_clients_with_the_same_name_are_ordered_by_id(gateway, headers, professional, uow):
    ids = [make_client(uow.session, professional, name="Same Name").id for _ in range(3)]
    uow.commit()

    items = gateway.get("/clients", headers=headers).get_json()["items"]

    assert [item["id"] for item in items] == ids


@pytest.mark.parametrize(("query", "field"), [
    ("limit=0", "limit"), ("limit=201", "limit"), ("limit=x", "limit"), ("offset=-1", "offset"),
    ("name=" + "x" * 201, "name"), ("q=a&q=b", "q"), ("sort=name", "sort"),
])
def test_bad_list_parameters_are_422(gateway, headers, query, field):
    response = gateway.get(f"/clients?{query}", headers=headers)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_limit_defaults_to_50_and_allows_200(gateway, headers):
    assert gateway.get("/clients", headers=headers).get_json()["limit"] == 50
    assert gateway.get("/clients?limit=200", headers=headers).get_json()["limit"] == 200


def test_unknown_client_is_404(gateway, headers):
    assert gateway.get("/clients/999999", headers=headers).status_code == 404
    assert gateway.put("/clients/999999", json={"name": "X"}, headers=headers).status_code == 404
    assert gateway.get(f"/clients/{2**70}", headers=headers).status_code == 404


def test_clients_need_a_professional_token(gateway, client_row):
    assert gateway.get("/clients").status_code == 401
    assert gateway.get(f"/clients/{client_row.id}").status_code == 401
    assert gateway.post("/clients", json=VALID).status_code == 401
