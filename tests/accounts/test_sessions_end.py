"""Ending a session ends its access tokens at once: logout, password reset, refresh-token reuse and
deactivation, and a reactivation does not bring them back."""

from __future__ import annotations

import pytest

from tests.accounts.test_password_reset import forgot, reset
from tests.factories import DEFAULT_PASSWORD, bearer, make_admin, make_professional


@pytest.fixture
def pro(uow):
    professional = make_professional(uow.session, email="pro@example.com")
    uow.commit()
    return professional


@pytest.fixture
def admin_headers(uow):
    admin = make_admin(uow.session, email="ops@example.com")
    uow.commit()
    return bearer(admin)


def me(client, access_token: str) -> int:
    return client.get("/me", headers={"Authorization": f"Bearer {access_token}"}).status_code


def test_logout_ends_the_access_tokens_at_once(pro, login, client):
    session = login("pro@example.com", DEFAULT_PASSWORD).get_json()
    assert me(client, session["access_token"]) == 200

    assert client.post("/auth/logout", json={"refresh_token": session["refresh_token"]}).status_code == 204

    assert me(client, session["access_token"]) == 401
    assert me(client, login("pro@example.com", DEFAULT_PASSWORD).get_json()["access_token"]) == 200


def test_a_password_reset_ends_the_access_tokens_at_once(pro, login, client, rows):
    from shared import linktokens

    access = login("pro@example.com", DEFAULT_PASSWORD).get_json()["access_token"]
    forgot(client, "pro@example.com")
    [row] = rows("SELECT token_nonce FROM password_resets")

    assert reset(client, linktokens.derive("password_reset", bytes(row["token_nonce"]))).status_code == 204

    assert me(client, access) == 401


def test_a_reused_refresh_token_ends_the_access_tokens_at_once(pro, login, client):
    stolen = login("pro@example.com", DEFAULT_PASSWORD).get_json()
    rotated = client.post("/auth/refresh", json={"refresh_token": stolen["refresh_token"]}).get_json()

    reuse = client.post("/auth/refresh", json={"refresh_token": stolen["refresh_token"]})

    assert reuse.status_code == 401
    assert me(client, stolen["access_token"]) == 401
    assert me(client, rotated["access_token"]) == 401


def test_deactivation_ends_the_access_tokens_and_reactivation_does_not_revive_them(pro, login, client,
                                                                                   admin_headers):
    access = login("pro@example.com", DEFAULT_PASSWORD).get_json()["access_token"]
    status_url = f"/admin/professionals/{pro.id}/status"

    assert client.put(status_url, json={"is_active": False}, headers=admin_headers).status_code == 200
    assert me(client, access) == 401
    assert client.put(status_url, json={"is_active": True}, headers=admin_headers).status_code == 200

    assert me(client, access) == 401
    assert me(client, login("pro@example.com", DEFAULT_PASSWORD).get_json()["access_token"]) == 200
