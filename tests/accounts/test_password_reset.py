"""Password reset: enumeration-safe request, hashed single-use one-hour token, sessions ended on reset."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from shared import linktokens
from shared.accounts import service
from shared.db import unit_of_work
from tests.accounts.helpers import problem_without_id, run_queued_jobs
from tests.factories import DEFAULT_PASSWORD, make_professional

NEW_PASSWORD = "a brand new lantern 77"


@pytest.fixture
def pro(uow):
    professional = make_professional(uow.session, email="pro@example.com")
    uow.commit()
    return professional


def forgot(client, email: str, ip: str = "192.0.2.60", *, run_job: bool = True):
    """POST /auth/forgot-password, then run the background job it queued (as the consumer would)."""
    response = client.post("/auth/forgot-password", json={"email": email}, environ_base={"REMOTE_ADDR": ip})
    if run_job:
        run_queued_jobs("start_password_reset")
    return response


def reset(client, token: str, password: str = NEW_PASSWORD, ip: str = "192.0.2.61"):
    return client.post("/auth/reset-password", json={"token": token, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


@pytest.fixture
def reset_token(pro, client, rows) -> str:
    """The token the reset email would carry (re-derived from the stored nonce, as the sender does)."""
    assert forgot(client, "pro@example.com").status_code == 202
    [row] = rows("SELECT token_nonce FROM password_resets")
    return linktokens.derive("password_reset", bytes(row["token_nonce"]))


def test_forgot_password_answers_the_same_whether_or_not_the_account_exists(pro, uow, client, rows):
    make_professional(uow.session, email="gone@example.com", is_active=False)
    uow.commit()

    emails = ("pro@example.com", "nobody@example.com", "gone@example.com")
    answers = [forgot(client, email) for email in emails]

    assert {a.status_code for a in answers} == {202}
    assert len({a.data for a in answers}) == 1
    [token] = rows("SELECT user_id FROM password_resets")
    assert token["user_id"] == pro.user_id
    assert len(rows("SELECT id FROM notifications")) == 1


def test_forgot_password_does_the_same_work_for_a_known_and_an_unknown_email(pro, client, db_engine, rows):
    # The review timed 20 ms against 6 ms: the request did the look-up and the email for known accounts.
    from shared.db import get_engine
    from shared.jobs.instance import huey

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        work = {}
        for email in ("pro@example.com", "nobody@example.com"):
            statements.clear()
            queued = huey.pending_count()
            assert forgot(client, email, run_job=False).status_code == 202
            work[email] = (len(statements), huey.pending_count() - queued)
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)

    assert work == {"pro@example.com": (0, 1), "nobody@example.com": (0, 1)}  # no query, one job each
    assert rows("SELECT id FROM password_resets") == []
    assert run_queued_jobs("start_password_reset") == 2
    assert len(rows("SELECT id FROM password_resets")) == 1


def test_forgot_password_stores_a_hashed_one_hour_token_and_queues_the_email(reset_token, pro, rows):
    [token] = rows("SELECT id, token_hash, expires_at - created_at AS lifetime, used_at "
                   "FROM password_resets")
    assert bytes(token["token_hash"]) == linktokens.hash_token(reset_token)
    assert token["lifetime"].total_seconds() == pytest.approx(3600, abs=5) and token["used_at"] is None
    [note] = rows("SELECT * FROM notifications")
    assert (note["type"], note["recipient"], note["user_id"]) == ("password_reset", "pro@example.com",
                                                                 pro.user_id)
    assert note["payload"] == {"password_reset_token_id": token["id"]}
    assert note["status"] == "pending"
    assert reset_token not in str(note)


def test_reset_password_sets_the_new_password_and_ends_every_session(reset_token, login, client, rows):
    refresh_token = login("pro@example.com", DEFAULT_PASSWORD).get_json()["refresh_token"]

    response = reset(client, reset_token)

    assert response.status_code == 204
    assert login("pro@example.com", DEFAULT_PASSWORD).status_code == 401
    assert login("pro@example.com", NEW_PASSWORD).status_code == 200
    assert client.post("/auth/refresh", json={"refresh_token": refresh_token}).status_code == 401
    assert rows("SELECT used_at FROM password_resets")[0]["used_at"] is not None


def test_used_reset_token_is_410(reset_token, client):
    reset(client, reset_token)

    response = reset(client, reset_token, password="yet another fine phrase")

    assert response.status_code == 410
    assert response.get_json()["detail"] == (
        "This password reset link has already been used. Request a new one.")


def test_expired_reset_token_is_410(reset_token, client, db_engine, snapshot):
    with db_engine.begin() as conn:
        conn.execute(text("UPDATE password_resets SET expires_at = now() - interval '1 second'"))
    before = snapshot()

    response = reset(client, reset_token)

    assert response.status_code == 410
    assert response.get_json()["detail"] == "This password reset link has expired. Request a new one."
    assert snapshot() == before


@pytest.mark.parametrize("token", ["not-a-token", "A" * 43])
def test_unknown_reset_token_is_400(token, reset_token, client, snapshot):
    before = snapshot()

    response = reset(client, token)

    assert response.status_code == 400
    assert problem_without_id(response)["detail"] == "This password reset link is not valid."
    assert snapshot() == before


@pytest.mark.parametrize("password", ["short", "1234567890", "x" * 129])
def test_weak_new_password_is_422_and_keeps_the_token_usable(password, reset_token, client, snapshot):
    before = snapshot()

    response = reset(client, reset_token, password=password)

    assert response.status_code == 422 and "password" in response.get_json()["errors"]
    assert snapshot() == before
    assert reset(client, reset_token).status_code == 204


def test_reset_is_audited_without_the_token_or_passwords(reset_token, client, rows):
    reset(client, reset_token)

    audit = rows("SELECT action, user_id, metadata, request_id FROM audit_logs ORDER BY id")
    assert [a["action"] for a in audit] == ["auth.password_reset_requested", "auth.password_reset_completed"]
    assert all(a["request_id"] for a in audit)
    assert reset_token not in str(audit) and NEW_PASSWORD not in str(audit)


def test_reset_lifts_a_login_lock(reset_token, login, client):
    for _ in range(10):
        login("pro@example.com", "wrong wrong wrong", ip="203.0.113.9")
    assert login("pro@example.com", DEFAULT_PASSWORD, ip="203.0.113.9").status_code == 429

    reset(client, reset_token)

    assert login("pro@example.com", NEW_PASSWORD, ip="203.0.113.9").status_code == 200


def test_forgot_password_is_rate_limited_per_address(client):
    statuses = [forgot(client, f"who{n}@example.com").status_code for n in range(5)]

    response = forgot(client, "who-else@example.com")

    assert statuses == [202] * 5
    assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 900


def test_reset_emails_per_account_are_capped_silently(pro, client, rows):
    statuses = [forgot(client, "pro@example.com", ip=f"192.0.2.{70 + n}").status_code for n in range(5)]

    assert statuses == [202] * 5
    assert len(rows("SELECT id FROM notifications")) == 3


def test_reset_password_is_rate_limited_per_address(client):
    statuses = [reset(client, "A" * 43).status_code for _ in range(10)]

    response = reset(client, "A" * 43)

    assert statuses == [400] * 10
    assert response.status_code == 429 and "Retry-After" in response.headers


def test_reset_password_accepts_only_the_emailed_token_not_its_hash(reset_token, client, rows):
    [row] = rows("SELECT token_hash FROM password_resets")

    assert reset(client, bytes(row["token_hash"]).hex()).status_code == 400


def test_reset_token_of_a_since_deactivated_account_is_410(reset_token, pro, client, snapshot):
    with unit_of_work() as uow:
        service.deactivate_user(uow, user_id=pro.user_id)
    before = snapshot()

    response = reset(client, reset_token)

    assert response.status_code == 410
    assert response.get_json()["detail"] == "This password reset link is no longer valid."
    assert snapshot() == before
