"""Profile: /me, partial profile updates with validation, and the public professional page."""

from __future__ import annotations

import pytest

from tests.factories import make_admin, make_professional, make_service


@pytest.fixture
def pro(uow):
    professional = make_professional(uow.session, email="pro@example.com", public_slug="dr-ana")
    uow.commit()
    return professional


def test_me_returns_the_user_and_the_professional(pro, client, auth_headers):
    response = client.get("/me", headers=auth_headers(pro))

    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["email"] == "pro@example.com" and "password_hash" not in body["user"]
    assert body["professional"]["public_slug"] == "dr-ana"
    assert body["professional"]["created_at"].endswith("+00:00")


def test_me_for_an_admin_has_no_professional(uow, client, auth_headers):
    admin = make_admin(uow.session, email="ops@example.com")
    uow.commit()

    body = client.get("/me", headers=auth_headers(admin)).get_json()

    assert body["user"]["role"] == "admin" and body["professional"] is None


def test_me_without_a_token_is_401(client, db_url):
    assert client.get("/me").status_code == 401


def test_update_profile_changes_only_the_given_fields(pro, client, auth_headers, rows):
    response = client.put("/me/profile", headers=auth_headers(pro), json={
        "name": " Ana María ", "timezone": "America/Mexico_City", "phone": "+34 600 000 000", "bio": "Hola.",
        "address": " Calle Mayor 1, Madrid "})

    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["name"] == "Ana María"
    assert body["professional"]["timezone"] == "America/Mexico_City"
    assert body["professional"]["phone"] == "+34 600 000 000" and body["professional"]["bio"] == "Hola."
    assert body["professional"]["public_slug"] == "dr-ana"
    assert body["professional"]["business_name"] == pro.business_name
    assert body["professional"]["address"] == "Calle Mayor 1, Madrid"
    assert rows("SELECT address FROM professionals") == [{"address": "Calle Mayor 1, Madrid"}]
    [audit] = rows("SELECT action, metadata FROM audit_logs")
    assert audit == {"action": "profile.updated",
                     "metadata": {"fields": ["address", "bio", "name", "phone", "timezone"]}}


def test_update_profile_can_change_the_slug_and_clear_optional_fields(pro, client, auth_headers):
    headers = auth_headers(pro)
    client.put("/me/profile", headers=headers, json={"phone": "600", "bio": "x", "address": "Calle 2"})

    body = client.put("/me/profile", headers=headers,
                      json={"public_slug": "ana-lopez", "phone": None, "bio": "  ", "address": ""}).get_json()

    assert body["professional"]["public_slug"] == "ana-lopez"
    assert body["professional"]["phone"] is None and body["professional"]["bio"] is None
    assert body["professional"]["address"] is None
    assert client.get("/professionals/ana-lopez/public").status_code == 200
    # The old link still reaches the professional, under the new slug.
    assert client.get("/professionals/dr-ana/public").get_json()["public_slug"] == "ana-lopez"


def test_update_profile_to_a_taken_slug_is_409_and_changes_nothing(pro, uow, client, auth_headers, snapshot):
    make_professional(uow.session, email="other@example.com", public_slug="taken-slug")
    uow.commit()
    before = snapshot()

    response = client.put("/me/profile", headers=auth_headers(pro),
                          json={"public_slug": "taken-slug", "name": "Changed"})

    assert response.status_code == 409
    assert response.get_json()["errors"] == {"public_slug": ["This public slug is already taken."]}
    assert snapshot() == before


@pytest.mark.parametrize(("field", "value"), [
    ("timezone", "Not/AZone"), ("timezone", 5), ("public_slug", "Bad Slug"), ("public_slug", "ab"),
    ("name", ""), ("name", "   "), ("business_name", "x" * 201), ("phone", "1" * 41), ("bio", "b" * 5001),
    ("address", "a" * 501), ("address", 7),
    ("email", "new@example.com"), ("is_active", False),
])
def test_invalid_profile_values_are_422_and_change_nothing(field, value, pro, client, auth_headers, snapshot):
    before = snapshot()

    response = client.put("/me/profile", headers=auth_headers(pro), json={field: value})

    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert snapshot() == before


def test_admin_has_no_profile_to_update(uow, client, auth_headers):
    admin = make_admin(uow.session, email="ops@example.com")
    uow.commit()

    assert client.put("/me/profile", headers=auth_headers(admin), json={"name": "X"}).status_code == 403


def test_public_profile_shows_public_fields_and_active_services_only(pro, uow, client):
    pro.address = "Calle Mayor 1, Madrid"
    uow.session.add(pro)
    make_service(uow.session, pro, name="Terapia individual", duration_minutes=50, price="45")
    make_service(uow.session, pro, name="Old service", is_active=False)
    uow.commit()

    response = client.get("/professionals/dr-ana/public")

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"name", "business_name", "public_slug", "timezone", "bio", "address", "services"}
    assert body["name"] == "Dr. Test" and body["public_slug"] == "dr-ana"
    assert body["address"] == "Calle Mayor 1, Madrid"
    [service] = body["services"]
    assert service["name"] == "Terapia individual" and service["duration_minutes"] == 50
    assert service["price"] == "45.00"
    assert set(service) == {"id", "name", "description", "duration_minutes", "price"}


@pytest.mark.parametrize("inactive", ["user", "professional"])
def test_public_profile_of_an_inactive_professional_is_404(inactive, pro, uow, client):
    target = pro.user if inactive == "user" else pro
    target.is_active = False
    uow.session.add(target)
    uow.commit()

    assert client.get("/professionals/dr-ana/public").status_code == 404


def test_public_profile_of_an_unknown_slug_is_404(pro, client):
    assert client.get("/professionals/nobody-here/public").status_code == 404
