"""Access tokens: every forgery or misuse is a 401; a key being rotated out still validates."""

from __future__ import annotations

import base64
import json
import secrets
import time

import jwt
import pytest

from shared.config import get_settings, reset_settings
from tests.factories import make_professional


@pytest.fixture
def pro(uow):
    professional = make_professional(uow.session, email="pro@example.com")
    uow.commit()
    return professional


def claims_for(pro, **overrides) -> dict:
    settings = get_settings()
    now = int(time.time())
    claims = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": str(pro.user_id),
              "typ": "access", "role": "professional", "pid": pro.id, "iat": now, "exp": now + 600}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def sign(claims: dict, key: str | None = None, kid: str | None = None) -> str:
    settings = get_settings()
    return jwt.encode(claims, key or settings.jwt_secret, algorithm="HS256",
                      headers={"kid": kid or settings.jwt_key_id})


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def get_me(client, token: str):
    return client.get("/me", headers={"Authorization": f"Bearer {token}"})


def test_a_well_formed_token_is_accepted(pro, client):
    assert get_me(client, sign(claims_for(pro))).status_code == 200


def _alg_none(pro) -> str:
    return f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': get_settings().jwt_key_id})}.{b64(claims_for(pro))}."


def _tampered(pro) -> str:
    header, _payload, signature = sign(claims_for(pro)).split(".")
    return f"{header}.{b64(claims_for(pro, sub='999', role='admin', pid=None))}.{signature}"


def _other_algorithm(pro) -> str:
    return jwt.encode(claims_for(pro), get_settings().jwt_secret, algorithm="HS512",
                      headers={"kid": get_settings().jwt_key_id})


FORGERIES = {
    "alg_none": _alg_none,
    "other_algorithm": _other_algorithm,
    "wrong_audience": lambda pro: sign(claims_for(pro, aud="someone-else")),
    "wrong_issuer": lambda pro: sign(claims_for(pro, iss="https://evil.example")),
    "wrong_type": lambda pro: sign(claims_for(pro, typ="refresh")),
    "expired": lambda pro: sign(claims_for(pro, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)),
    "tampered_payload": _tampered,
    "wrong_key": lambda pro: sign(claims_for(pro), key=secrets.token_urlsafe(48)),
    "unknown_kid": lambda pro: sign(claims_for(pro), kid="k-unknown"),
    "missing_exp": lambda pro: sign(claims_for(pro, exp=None)),
    # A token signed with a leaked key and a one-year `exp`: longer than ACCESS_TOKEN_MINUTES allows.
    "one_year_lifetime": lambda pro: sign(claims_for(pro, exp=int(time.time()) + 365 * 86400)),
    "issued_in_the_future": lambda pro: sign(claims_for(pro, iat=int(time.time()) + 3600,
                                                        exp=int(time.time()) + 3900)),
    "missing_role": lambda pro: sign(claims_for(pro, role=None)),
    "other_users_professional": lambda pro: sign(claims_for(pro, pid=pro.id + 1000)),
    "garbage": lambda pro: "not.a.jwt",
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_forged_or_misused_access_token_is_401(forgery, pro, client):
    response = get_me(client, FORGERIES[forgery](pro))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_signed_with_a_previous_key_is_still_accepted_during_rotation(pro, client, monkeypatch):
    old_key = secrets.token_urlsafe(48)
    monkeypatch.setenv("JWT_PREVIOUS_SECRETS", old_key)
    reset_settings()

    response = get_me(client, sign(claims_for(pro), key=old_key, kid="prev-0"))

    assert response.status_code == 200


def test_previous_key_is_refused_once_it_is_retired(pro, client):
    retired = secrets.token_urlsafe(48)

    assert get_me(client, sign(claims_for(pro), key=retired, kid="prev-0")).status_code == 401
