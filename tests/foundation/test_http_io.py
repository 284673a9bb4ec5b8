"""Reading query strings and paging, and the shape of list, create and partial-update responses."""

from __future__ import annotations

import pytest

from shared.http.parsing import flatten_messages
from tests.foundation.http_probe import make_app


@pytest.fixture
def client():
    return make_app().test_client()


def test_a_list_uses_the_envelope_with_default_paging(client):
    body = client.get("/items").get_json()
    assert body == {"items": [{"filters": {}}], "total": 1, "limit": 50, "offset": 0}


@pytest.mark.parametrize("query, limit, offset", [
    ("limit=1", 1, 0), ("limit=200", 200, 0), ("limit=10&offset=30", 10, 30), ("limit=&offset=", 50, 0),
])
def test_paging_accepts_limits_up_to_200(client, query, limit, offset):
    body = client.get(f"/items?{query}").get_json()
    assert (body["limit"], body["offset"]) == (limit, offset)


@pytest.mark.parametrize("query, field", [
    ("limit=201", "limit"), ("limit=0", "limit"), ("limit=-1", "limit"), ("limit=ten", "limit"),
    ("limit=1.5", "limit"), ("limit=%2B5", "limit"), ("offset=-1", "offset"), ("offset=x", "offset"),
    ("offset=99999999999999999999", "offset"),
])
def test_paging_refuses_bad_values_with_422(client, query, field):
    response = client.get(f"/items?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_query_filters_are_validated_by_the_schema(client):
    body = client.get("/items?status=open&day=2027-03-28&tag=a&tag=b").get_json()
    assert body["items"][0]["filters"] == {"status": "open", "day": "2027-03-28", "tag": "['a', 'b']"}


@pytest.mark.parametrize("query, field", [
    ("status=maybe", "status"), ("day=28/03/2027", "day"), ("colour=red", "colour"),
    ("status=open&status=closed", "status"),
])
def test_bad_query_values_are_422_with_the_parameter_named(client, query, field):
    response = client.get(f"/items?{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_empty_query_values_count_as_absent(client):
    assert client.get("/items?status=&day=").get_json()["items"][0]["filters"] == {}


def test_partial_updates_need_only_the_fields_sent_but_still_validate_them(client):
    assert client.patch("/items/4", json={"quantity": 3}).get_json() == {"id": 4, "changed": ["quantity"]}
    response = client.patch("/items/4", json={"quantity": 0})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"quantity"}


def test_flatten_messages_names_nested_and_listed_fields():
    messages = {
        "client": {"email": ["Not a valid email address."]},
        "tags": {0: ["Not a valid string."]},
        "_schema": ["Give at least one field."],
        "name": ["Missing data for required field."],
    }
    assert flatten_messages(messages) == {
        "client.email": ["Not a valid email address."],
        "tags.0": ["Not a valid string."],
        "_schema": ["Give at least one field."],
        "name": ["Missing data for required field."],
    }
