"""Deactivation: the account's access tokens fail from the next request and its sessions are revoked."""

from __future__ import annotations

import pytest

from shared.accounts import service
from shared.db import unit_of_work
from shared.errors import NotFound
from tests.factories import DEFAULT_PASSWORD, make_admin, make_professional


@pytest.fixture
def pro(uow):
    professional = make_professional(uow.session, email="pro@example.com")
    uow.commit()
    return professional


def test_deactivated_users_access_token_fails_on_the_next_request(pro, login, client):
    tokens = login("pro@example.com", DEFAULT_PASSWORD).get_json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/me", headers=headers).status_code == 200

    with unit_of_work() as uow:
        service.deactivate_user(uow, user_id=pro.user_id)

    assert client.get("/me", headers=headers).status_code == 401
    assert client.get("/settings", headers=headers).status_code == 401


def test_deactivation_revokes_every_refresh_token_of_the_user(pro, login, client, rows):
    tokens = [login("pro@example.com", DEFAULT_PASSWORD).get_json()["refresh_token"] for _ in range(2)]

    with unit_of_work() as uow:
        service.deactivate_user(uow, user_id=pro.user_id)

    assert [client.post("/auth/refresh", json={"refresh_token": t}).status_code for t in tokens] == [401, 401]
    assert all(r["revoked_at"] is not None for r in rows("SELECT revoked_at FROM refresh_tokens"))


def test_deactivation_is_audited_with_its_actor_and_reactivation_restores_login(pro, uow, login, rows):
    admin = make_admin(uow.session, email="ops@example.com")
    uow.commit()

    with unit_of_work() as work:
        service.set_active(work, user_id=pro.user_id, is_active=False, actor_user_id=admin.id)
    assert login("pro@example.com", DEFAULT_PASSWORD).status_code == 401
    with unit_of_work() as work:
        service.set_active(work, user_id=pro.user_id, is_active=True, actor_user_id=admin.id)

    assert login("pro@example.com", DEFAULT_PASSWORD).status_code == 200
    audit = rows("SELECT action, user_id, entity_id FROM audit_logs "
                 "WHERE action LIKE 'user.%' ORDER BY id")
    assert audit == [{"action": "user.deactivated", "user_id": admin.id, "entity_id": pro.user_id},
                     {"action": "user.activated", "user_id": admin.id, "entity_id": pro.user_id}]


def test_deactivating_an_unknown_user_is_not_found(db_url):
    with unit_of_work() as uow, pytest.raises(NotFound):
        service.deactivate_user(uow, user_id=424242)
