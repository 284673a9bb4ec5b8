"""Public slugs stay with their professional: old links keep working and nobody else can take them;
slugs that would pass for the platform's own pages are reserved."""

from __future__ import annotations

import pytest

from shared.accounts import slugs
from tests.accounts.helpers import registration
from tests.factories import headers_for, make_professional


@pytest.fixture
def renamed(uow, client):
    """A professional who moved from old-practice to new-practice."""
    professional = make_professional(uow.session, email="owner@example.com", public_slug="old-practice")
    uow.commit()
    moved = client.put("/me/profile", json={"public_slug": "new-practice"}, headers=headers_for(professional))
    assert moved.status_code == 200
    return professional


def test_the_old_slug_reaches_the_professional_under_the_new_one(renamed, client):
    page = client.get("/professionals/old-practice/public")

    assert page.status_code == 200 and page.get_json()["public_slug"] == "new-practice"


def test_nobody_can_register_with_a_former_slug(renamed, register, rows):
    # The review registered the old slug and received the bookings of old links and emails.
    response = register(email="squatter@example.com", public_slug="old-practice")

    assert response.status_code == 409
    assert response.get_json()["errors"]["public_slug"] == ["This public slug is already taken."]
    assert rows("SELECT id FROM users WHERE email = 'squatter@example.com'") == []


def test_nobody_can_move_to_a_former_slug_of_someone_else(renamed, uow, client):
    other = make_professional(uow.session, email="other@example.com", public_slug="other-practice")
    uow.commit()

    response = client.put("/me/profile", json={"public_slug": "old-practice"}, headers=headers_for(other))

    assert response.status_code == 409
    assert client.get("/professionals/old-practice/public").get_json()["public_slug"] == "new-practice"


def test_a_derived_slug_skips_the_former_slugs_of_others(renamed, register):
    response = register(email="new@example.com", business_name="Old Practice")

    assert response.status_code == 201
    assert response.get_json()["professional"]["public_slug"] == "old-practice-2"


def test_the_owner_may_take_their_former_slug_back(renamed, client):
    response = client.put("/me/profile", json={"public_slug": "old-practice"}, headers=headers_for(renamed))

    assert response.status_code == 200
    assert client.get("/professionals/new-practice/public").get_json()["public_slug"] == "old-practice"


@pytest.mark.parametrize("slug", ["admin", "api", "www", "support", "book", "manage", "login", "Security"])
def test_reserved_slugs_are_refused_at_registration_and_on_change(slug, register, uow, client):
    professional = make_professional(uow.session, email="pro@example.com")
    uow.commit()

    at_registration = register(email="new@example.com", public_slug=slug)
    on_change = client.put("/me/profile", json={"public_slug": slug}, headers=headers_for(professional))

    for response in (at_registration, on_change):
        assert response.status_code == 422
        assert response.get_json()["errors"]["public_slug"] == ["This slug is reserved; choose another."]


def test_a_business_named_like_a_reserved_slug_gets_another_one(register):
    body = register(**registration(business_name="Support")).get_json()

    assert body["professional"]["public_slug"] not in slugs.RESERVED
