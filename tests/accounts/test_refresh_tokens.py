"""Refresh tokens: opaque, hashed at rest, rotated on use, reuse revokes the family, one winner in a race."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import threading

import pytest
from sqlalchemy import text
from werkzeug.test import Client

from shared.localdev.gateway import create_gateway
from tests.factories import DEFAULT_PASSWORD, make_professional


@pytest.fixture
def pro(uow):
    professional = make_professional(uow.session, email="pro@example.com")
    uow.commit()
    return professional


@pytest.fixture
def session_tokens(pro, login):
    """A fresh login's tokens."""
    return login("pro@example.com", DEFAULT_PASSWORD).get_json()


def refresh(client, token: str):
    return client.post("/auth/refresh", json={"refresh_token": token})


def test_refresh_returns_a_new_access_token_and_a_new_refresh_token(session_tokens, client):
    response = refresh(client, session_tokens["refresh_token"])

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["refresh_token"] != session_tokens["refresh_token"]
    me = client.get("/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert refresh(client, body["refresh_token"]).status_code == 200


def test_refresh_token_is_256_bits_and_stored_only_as_its_sha256(session_tokens, rows, snapshot):
    token = session_tokens["refresh_token"]

    [row] = rows("SELECT token_hash FROM refresh_tokens")
    assert len(base64_bytes(token)) >= 32
    assert bytes(row["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert token not in str(snapshot())


def base64_bytes(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def test_rotated_token_keeps_the_family_and_its_absolute_expiry(session_tokens, client, rows):
    refresh(client, session_tokens["refresh_token"])

    first, second = rows("SELECT family_id, expires_at, used_at FROM refresh_tokens ORDER BY id")
    assert first["family_id"] == second["family_id"]
    assert first["expires_at"] == second["expires_at"]
    assert first["used_at"] is not None and second["used_at"] is None
    lifetime = first["expires_at"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=29, hours=23) < lifetime <= dt.timedelta(days=30)


def test_reused_refresh_token_revokes_its_family(session_tokens, client, rows):
    successor = refresh(client, session_tokens["refresh_token"]).get_json()["refresh_token"]

    replay = refresh(client, session_tokens["refresh_token"])

    assert replay.status_code == 401
    assert "already used" in replay.get_json()["detail"]
    assert refresh(client, successor).status_code == 401
    assert all(r["revoked_at"] is not None for r in rows("SELECT revoked_at FROM refresh_tokens"))
    assert rows("SELECT action FROM audit_logs WHERE action = 'auth.refresh_token_reused'")


def test_reuse_revokes_only_that_family(pro, login, client):
    phone = login("pro@example.com", DEFAULT_PASSWORD).get_json()["refresh_token"]
    laptop = login("pro@example.com", DEFAULT_PASSWORD).get_json()["refresh_token"]
    refresh(client, phone)

    refresh(client, phone)

    assert refresh(client, laptop).status_code == 200


@pytest.mark.parametrize("token", ["", "x" * 43, "x" * 5000])
def test_unknown_or_malformed_refresh_token_is_rejected(token, session_tokens, client, snapshot):
    before = snapshot()

    response = refresh(client, token)

    assert response.status_code in (401, 422)
    assert snapshot() == before


def test_expired_refresh_token_is_401(session_tokens, client, db_engine):
    with db_engine.begin() as conn:
        conn.execute(text("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'"))

    assert refresh(client, session_tokens["refresh_token"]).status_code == 401


def race_refreshes(clients: list[Client], token: str) -> list[int]:
    """Present one token from several threads (separate clients, separate connections) at once."""
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def present(client: Client) -> None:
        barrier.wait()
        statuses.append(refresh(client, token).status_code)

    threads = [threading.Thread(target=present, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(statuses)


def test_concurrent_refreshes_of_one_token_cannot_both_succeed(pro, login, db_url, rows):
    clients = [Client(create_gateway()) for _ in range(2)]
    for _ in range(5):
        token = login("pro@example.com", DEFAULT_PASSWORD).get_json()["refresh_token"]

        assert race_refreshes(clients, token) == [200, 401]

    # Each race spent its token once; the loser saw it spent, so that family was revoked as a reuse.
    assert len(rows("SELECT id FROM refresh_tokens WHERE used_at IS NOT NULL")) == 5


def test_logout_revokes_the_session_family(session_tokens, client, rows):
    successor = refresh(client, session_tokens["refresh_token"]).get_json()["refresh_token"]

    response = client.post("/auth/logout", json={"refresh_token": successor})

    assert response.status_code == 204 and response.data == b""
    assert refresh(client, successor).status_code == 401
    assert all(r["revoked_at"] is not None for r in rows("SELECT revoked_at FROM refresh_tokens"))


def test_logout_with_an_unknown_token_is_still_204(session_tokens, client, snapshot):
    before = snapshot()

    response = client.post("/auth/logout", json={"refresh_token": "never-issued-token"})

    assert response.status_code == 204
    assert snapshot() == before
