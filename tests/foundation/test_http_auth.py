"""Role guards: a bearer access token, re-checked against the database on every request."""

from __future__ import annotations

import datetime as dt
import json

import jwt
import pytest
from sqlalchemy import delete, update

from shared import models as m
from shared.accounts.tokens import issue_access_token
from shared.config import get_settings
from tests.factories import bearer, headers_for, make_admin, make_professional
from tests.foundation.http_probe import make_app


@pytest.fixture
def client(db_url):
    return make_app().test_client()


@pytest.fixture
def admin(uow):
    user = make_admin(uow.session, email="ops@example.com")
    uow.commit()
    return user


def assert_unauthenticated(response):
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(response.data)["type"].endswith("/unauthenticated")


def test_a_professional_token_reaches_a_professional_view(client, professional):
    response = client.get("/pro", headers=headers_for(professional))
    assert response.status_code == 200
    assert response.get_json() == {"user_id": professional.user_id, "professional_id": professional.id,
                                   "role": "professional"}


def test_an_admin_token_reaches_an_admin_view(client, admin):
    response = client.get("/admin", headers=bearer(admin))
    assert response.get_json() == {"user_id": admin.id, "role": "admin"}


def test_an_admin_token_on_a_professional_view_is_403(client, admin):
    response = client.get("/pro", headers=bearer(admin))
    assert response.status_code == 403
    assert json.loads(response.data)["type"].endswith("/forbidden")


def test_a_professional_token_on_an_admin_view_is_403(client, professional):
    assert client.get("/admin", headers=headers_for(professional)).status_code == 403


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer not-a-jwt", "Bearer a.b.c",
    "Bearer two tokens",
])
def test_missing_or_malformed_credentials_are_401(client, professional, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    assert_unauthenticated(client.get("/pro", headers=headers))


def test_an_expired_token_is_401(client, professional):
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    token, _ = issue_access_token(user_id=professional.user_id, role="professional",
                                  professional_id=professional.id, now=past)
    assert_unauthenticated(client.get("/pro", headers={"Authorization": f"Bearer {token}"}))


def test_a_token_signed_with_another_key_is_401(client, professional):
    settings = get_settings()
    claims = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": str(professional.user_id),
              "typ": "access", "role": "professional", "pid": professional.id,
              "iat": int(dt.datetime.now(dt.UTC).timestamp()),
              "exp": int(dt.datetime.now(dt.UTC).timestamp()) + 600}
    token = jwt.encode(claims, "another-secret-of-at-least-thirty-two-bytes!",
                       headers={"kid": settings.jwt_key_id})
    assert_unauthenticated(client.get("/pro", headers={"Authorization": f"Bearer {token}"}))


def test_a_deactivated_user_is_401_at_once(client, uow, professional):
    headers = headers_for(professional)
    assert client.get("/pro", headers=headers).status_code == 200
    uow.session.execute(update(m.User).where(m.User.id == professional.user_id).values(is_active=False))
    uow.commit()
    assert_unauthenticated(client.get("/pro", headers=headers))


def test_a_deactivated_professional_profile_is_401(client, uow, professional):
    uow.session.execute(update(m.Professional).where(m.Professional.id == professional.id)
                        .values(is_active=False))
    uow.commit()
    assert_unauthenticated(client.get("/pro", headers=headers_for(professional)))


def test_a_deactivated_admin_is_401(client, uow, admin):
    uow.session.execute(update(m.User).where(m.User.id == admin.id).values(is_active=False))
    uow.commit()
    assert_unauthenticated(client.get("/admin", headers=bearer(admin)))


def test_a_deleted_user_is_401(client, uow, professional):
    headers = headers_for(professional)
    uow.session.execute(delete(m.User).where(m.User.id == professional.user_id))
    uow.commit()
    assert_unauthenticated(client.get("/pro", headers=headers))


def test_a_token_whose_professional_id_is_not_the_users_is_401(client, uow, professional):
    other = make_professional(uow.session, email="someone-else@example.com")
    uow.commit()
    forged = bearer(professional.user, other.id)
    assert_unauthenticated(client.get("/pro", headers=forged))


def test_a_token_whose_role_is_not_the_users_is_401(client, professional):
    token, _ = issue_access_token(user_id=professional.user_id, role="admin", professional_id=None)
    assert_unauthenticated(client.get("/admin", headers={"Authorization": f"Bearer {token}"}))


def test_optional_auth_names_the_caller_only_when_a_token_is_sent(client, professional):
    assert client.get("/maybe").get_json() == {"user_id": None}
    assert client.get("/maybe", headers=headers_for(professional)).get_json() == {
        "user_id": professional.user_id}
    assert_unauthenticated(client.get("/maybe", headers={"Authorization": "Bearer nonsense"}))


def test_the_log_line_names_the_professional_but_not_the_token(client, professional, capsys):
    headers = headers_for(professional)
    capsys.readouterr()
    client.get("/pro", headers=headers)
    err = capsys.readouterr().err
    (line,) = [json.loads(text) for text in err.splitlines()]
    assert line["professional_id"] == professional.id
    assert line["user_id"] == professional.user_id
    assert headers["Authorization"].split()[1] not in err
