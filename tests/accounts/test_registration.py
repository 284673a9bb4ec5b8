"""Registration: one transaction for user, profile and settings; normalized unique email; slugs; rules."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from shared.accounts import passwords, service
from shared.accounts.tokens import decode_access_token
from shared.db import unit_of_work
from tests.accounts.helpers import STRONG_PASSWORD, problem_without_id, registration
from tests.factories import make_professional


def test_register_creates_user_professional_and_default_settings(register, rows):
    response = register()

    assert response.status_code == 201
    assert response.headers["Location"] == "/me"
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert len(body["refresh_token"]) >= 43
    assert body["user"]["email"] == "ana@example.com"
    assert body["user"]["role"] == "professional"
    assert body["professional"]["public_slug"] == "psicologia-ana-lopez"
    assert body["professional"]["timezone"] == "Europe/Madrid"
    claims = decode_access_token(body["access_token"])
    assert claims["sub"] == str(body["user"]["id"]) and claims["pid"] == body["professional"]["id"]
    [settings] = rows("SELECT * FROM professional_settings")
    assert settings["professional_id"] == body["professional"]["id"]
    assert settings["booking_advance_days"] == 60 and settings["cancellation_policy_hours"] == 24
    assert settings["default_appointment_status"] == "confirmed" and settings["allow_public_booking"] is True
    assert settings["locale"] == "es" and settings["slot_interval_minutes"] is None
    assert "password" not in str(body)


def test_register_stores_the_email_trimmed_and_lower_cased(register, rows):
    response = register(email="  Ana.Lopez@Example.COM ")

    assert response.status_code == 201
    assert rows("SELECT email FROM users") == [{"email": "ana.lopez@example.com"}]


@pytest.mark.parametrize("active", [True, False])
def test_duplicate_email_is_409_with_the_same_body_for_active_and_inactive_accounts(
        active, uow, register, snapshot):
    make_professional(uow.session, email="taken@example.com", is_active=active)
    uow.commit()
    before = snapshot()

    response = register(email=" TAKEN@example.com")

    assert response.status_code == 409
    assert problem_without_id(response) == {
        "type": "https://agenda.example/problems/conflict", "title": "Conflict", "status": 409,
        "detail": "An account with this email already exists.",
        "errors": {"email": ["An account with this email already exists."]},
    }
    assert snapshot() == before


def test_slug_is_derived_from_the_business_name_without_accents(register):
    response = register(business_name="  Fisioterapia Ñandú & Cía. ")

    assert response.get_json()["professional"]["public_slug"] == "fisioterapia-nandu-cia"


def test_derived_slug_that_is_taken_gets_the_next_numeric_suffix(register):
    bodies = [register(email=f"pro{n}@example.com", business_name="Centro Vida").get_json() for n in range(3)]
    slugs = [body["professional"]["public_slug"] for body in bodies]

    assert slugs == ["centro-vida", "centro-vida-2", "centro-vida-3"]


def test_business_name_without_usable_characters_still_gets_a_valid_slug(register):
    response = register(business_name="心理")

    assert response.status_code == 201
    assert response.get_json()["professional"]["public_slug"] == "agenda"


def test_requested_slug_is_used_lower_cased(register):
    response = register(public_slug=" Dr-Ana ")

    assert response.get_json()["professional"]["public_slug"] == "dr-ana"


def test_requested_slug_that_is_taken_is_409(uow, register, snapshot):
    make_professional(uow.session, public_slug="dr-ana")
    uow.commit()
    before = snapshot()

    response = register(public_slug="dr-ana")

    assert response.status_code == 409
    assert response.get_json()["errors"] == {"public_slug": ["This public slug is already taken."]}
    assert snapshot() == before


@pytest.mark.parametrize("slug", ["ab", "a" * 81, "dr ana", "dr--ana", "-ana", "ana-", "ana_lopez", "añá"])
def test_malformed_requested_slug_is_422(slug, register, snapshot):
    before = snapshot()

    response = register(public_slug=slug)

    assert response.status_code == 422
    assert "public_slug" in response.get_json()["errors"]
    assert snapshot() == before


@pytest.mark.parametrize("timezone", ["Mars/Olympus", "Europe/Madrid ", "localtime", "", "../../etc/passwd"])
def test_unknown_timezone_is_422(timezone, register, snapshot):
    before = snapshot()

    response = register(timezone=timezone)

    assert response.status_code == 422
    assert "timezone" in response.get_json()["errors"]
    assert snapshot() == before


@pytest.mark.parametrize("missing", ["email", "password", "name", "business_name"])
def test_missing_required_field_is_422(missing, client, snapshot):
    body = registration()
    del body[missing]
    before = snapshot()

    response = client.post("/auth/register", json=body)

    assert response.status_code == 422
    assert missing in response.get_json()["errors"]
    assert snapshot() == before


@pytest.mark.parametrize(("password", "message"), [
    ("short pw", "Use at least 10 characters."),
    ("x" * 129, "Use at most 128 characters."),
    ("qwertyuiop", passwords.TOO_WEAK),
    ("BasketBall", passwords.TOO_WEAK),
    ("1234567890", passwords.TOO_WEAK),
])
def test_password_breaking_a_rule_is_422(password, message, register, snapshot):
    before = snapshot()

    response = register(password=password)

    assert response.status_code == 422
    assert response.get_json()["errors"] == {"password": [message]}
    assert snapshot() == before


def test_registration_is_all_or_nothing(db_url, rows):
    # A slug the schema would refuse reaches the database, whose CHECK fails after the user row is in.
    with unit_of_work() as uow, pytest.raises(IntegrityError):
        service.register(uow, registration_in={**registration(), "public_slug": "Not A Slug!"})

    assert rows("SELECT id FROM users") == []
    assert rows("SELECT id FROM professionals") == []
    assert rows("SELECT * FROM audit_logs") == []


def test_slug_taken_concurrently_is_retried_with_the_next_suffix(db_engine, db_url, rows):
    """A registration that loses the race for a slug (unique violation) retries inside a savepoint."""
    outcome = {}
    with db_engine.connect() as rival:
        # Another transaction holds the slug, uncommitted: the registration's look-up cannot see it.
        rival.execute(text("INSERT INTO users (email, password_hash, name) "
                           "VALUES ('r@example.com', 'x', 'R')"))
        rival.execute(text("INSERT INTO professionals (user_id, business_name, public_slug) "
                           "SELECT id, 'Centro Vida', 'centro-vida' FROM users"))

        def sign_up():
            with unit_of_work() as uow:
                body = registration(business_name="Centro Vida")
                outcome["body"] = service.register(uow, registration_in=body)

        worker = threading.Thread(target=sign_up)
        worker.start()
        _wait_until_a_backend_waits_for_a_lock(db_engine)
        rival.commit()
        worker.join(timeout=30)

    assert outcome["body"]["professional"].public_slug == "centro-vida-2"
    assert [r["public_slug"] for r in rows("SELECT public_slug FROM professionals ORDER BY id")] == [
        "centro-vida", "centro-vida-2"]


def _wait_until_a_backend_waits_for_a_lock(engine, attempts: int = 300) -> None:
    for _ in range(attempts):
        with engine.connect() as conn:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )).scalar_one()
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("the registration never blocked on the rival's slug")


def test_registration_is_audited_without_secrets(register, rows):
    response = register(ip="192.0.2.44")

    [row] = rows("SELECT * FROM audit_logs")
    assert row["action"] == "user.registered"
    assert row["user_id"] == response.get_json()["user"]["id"]
    assert str(row["ip_address"]) == "192.0.2.44"
    assert row["request_id"] == response.headers["X-Request-ID"]
    assert STRONG_PASSWORD not in str(row["metadata"])


def test_registrations_from_one_address_are_rate_limited(register):
    statuses = [register(email=f"pro{n}@example.com").status_code for n in range(10)]

    response = register(email="one-more@example.com")

    assert statuses == [201] * 10
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    assert register(email="elsewhere@example.com", ip="192.0.2.99").status_code == 201
