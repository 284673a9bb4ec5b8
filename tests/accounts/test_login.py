"""Login: tokens for the right password of an active account, one indistinguishable 401 for the rest."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from shared.accounts import passwords
from tests.accounts.helpers import STRONG_PASSWORD, problem_without_id
from tests.factories import DEFAULT_PASSWORD, make_admin, make_professional

BAD_CREDENTIALS = {
    "type": "https://agenda.example/problems/unauthenticated", "title": "Unauthorized", "status": 401,
    "detail": "Incorrect email or password.",
}


@pytest.fixture
def pro(uow):
    professional = make_professional(uow.session, email="pro@example.com")
    uow.commit()
    return professional


def test_login_returns_tokens_user_and_professional(pro, login, client):
    response = login(" PRO@example.com ", DEFAULT_PASSWORD)

    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900 and body["refresh_token"]
    assert body["user"]["id"] == pro.user_id and body["professional"]["id"] == pro.id
    me = client.get("/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.get_json()["user"]["email"] == "pro@example.com"


def test_login_records_the_time_of_the_last_login(pro, login, rows):
    login("pro@example.com", DEFAULT_PASSWORD)

    assert rows("SELECT last_login_at FROM users")[0]["last_login_at"] is not None


def test_admin_logs_in_without_a_professional_profile(uow, login):
    make_admin(uow.session, email="ops@example.com")
    uow.commit()

    body = login("ops@example.com", DEFAULT_PASSWORD).get_json()

    assert body["user"]["role"] == "admin" and body["professional"] is None


def test_unknown_email_and_wrong_password_get_the_same_401(pro, login):
    unknown = login("nobody@example.com", DEFAULT_PASSWORD)
    wrong = login("pro@example.com", "not the password at all")

    assert unknown.status_code == wrong.status_code == 401
    assert problem_without_id(unknown) == problem_without_id(wrong) == BAD_CREDENTIALS
    assert unknown.headers.get("WWW-Authenticate") == wrong.headers.get("WWW-Authenticate")


def test_unknown_email_costs_the_same_argon2_verification_as_a_known_one(pro, login, monkeypatch):
    verified: list[str] = []

    class CountingHasher(PasswordHasher):
        __slots__ = ()

        def verify(self, stored, password):
            verified.append(stored)
            return super().verify(stored, password)

    counting = CountingHasher(time_cost=passwords.TIME_COST, memory_cost=passwords.MEMORY_COST_KIB,
                              parallelism=passwords.PARALLELISM)
    monkeypatch.setattr(passwords, "hasher", lambda: counting)

    login("nobody@example.com", DEFAULT_PASSWORD)
    login("pro@example.com", "not the password at all")

    assert len(verified) == 2
    dummy, real = verified
    assert dummy != real and dummy.split("$")[1:4] == real.split("$")[1:4]  # same algorithm and cost


@pytest.mark.parametrize("deactivate", ["user", "professional"])
def test_inactive_account_cannot_log_in_even_with_the_right_password(deactivate, uow, pro, login):
    target = pro.user if deactivate == "user" else pro
    target.is_active = False
    uow.session.add(target)
    uow.commit()

    response = login("pro@example.com", DEFAULT_PASSWORD)

    assert response.status_code == 401
    assert problem_without_id(response) == BAD_CREDENTIALS


def test_malformed_login_body_is_422_not_a_lookup(client):
    response = client.post("/auth/login", json={"email": "pro@example.com"})

    assert response.status_code == 422
    assert response.get_json()["errors"] == {"password": ["Missing data for required field."]}


def test_successful_and_failed_logins_are_audited_without_secrets(pro, login, rows):
    login("pro@example.com", DEFAULT_PASSWORD, ip="192.0.2.30")
    login("pro@example.com", "wrong password here", ip="192.0.2.31")
    login("ghost@example.com", "wrong password here", ip="192.0.2.32")

    audit = rows("SELECT action, user_id, entity_id, host(ip_address) AS ip, request_id, metadata "
                 "FROM audit_logs ORDER BY id")
    assert [(a["action"], a["user_id"], a["entity_id"], a["ip"]) for a in audit] == [
        ("auth.login_succeeded", pro.user_id, pro.user_id, "192.0.2.30"),
        ("auth.login_failed", None, pro.user_id, "192.0.2.31"),
        ("auth.login_failed", None, None, "192.0.2.32"),
    ]
    assert audit[1]["metadata"] == audit[2]["metadata"] == {"reason": "bad_credentials"}
    assert all(a["request_id"] for a in audit)
    text = str(audit)
    assert "wrong password" not in text and DEFAULT_PASSWORD not in text and "ghost@" not in text


def test_logins_from_one_address_are_rate_limited(login):
    # Different emails, so the per-account lockout is not what stops them.
    statuses = [login(f"guess{n}@example.com", STRONG_PASSWORD, ip="192.0.2.50").status_code
                for n in range(20)]

    response = login("guess-last@example.com", STRONG_PASSWORD, ip="192.0.2.50")

    assert statuses == [401] * 20
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert login("guess-last@example.com", STRONG_PASSWORD, ip="192.0.2.51").status_code == 401
