"""Tenant isolation: another professional's services and clients are a 404 in every catalog endpoint."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.models import Client, Service


@pytest.mark.parametrize(("method", "path", "body"), [
    ("PUT", "/services/{service}", {"name": "Taken over", "price": "0"}),
    ("DELETE", "/services/{service}", None),
    ("GET", "/clients/{client}", None),
    ("PUT", "/clients/{client}", {"name": "Taken over", "email": "mine@example.com"}),
])
def test_another_professionals_object_is_404_and_untouched(gateway, headers, foreign, uow, method, path,
                                                           body):
    url = path.format(service=foreign["service"].id, client=foreign["client"].id)

    response = gateway.open(url, method=method, json=body, headers=headers)

    assert response.status_code == 404
    assert response.get_json()["status"] == 404
    uow.session.expire_all()
    service = uow.session.get(Service, foreign["service"].id)
    client = uow.session.get(Client, foreign["client"].id)
    assert (service.name, service.price, service.is_active) == ("Their service", Decimal("50.00"), True)
    assert (client.name, client.email) == ("Their client", "theirs@example.com")


def test_lists_show_only_the_professionals_own_objects(gateway, headers, foreign, service, client_row):
    services = gateway.get("/services?include_inactive=true", headers=headers).get_json()
    clients = gateway.get("/clients?q=their", headers=headers).get_json()
    all_clients = gateway.get("/clients", headers=headers).get_json()

    assert [s["id"] for s in services["items"]] == [service.id]
    assert clients == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert [c["id"] for c in all_clients["items"]] == [client_row.id]


def test_new_objects_belong_to_the_token_professional(gateway, headers, professional, uow):
    created = gateway.post("/clients", json={"name": "Nuevo", "email": "nuevo@example.com"}, headers=headers)

    assert created.status_code == 201
    assert uow.session.get(Client, created.get_json()["id"]).professional_id == professional.id
