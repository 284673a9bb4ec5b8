"""A professional's email is verified by a link before their page takes bookings or their clients get mail."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from shared.accounts import verification
from shared.notifications.service import deliver
from tests.accounts.helpers import registration
from tests.factories import headers_for, make_professional, make_service
from tests.notifications.conftest import ses, ses_sent_messages  # noqa: F401  (ses: SES on moto)
from tests.notifications.outbox_support import body, parse


def booking_page(client, slug: str) -> int:
    return client.get(f"/professionals/{slug}/public").status_code


def emailed_token(rows) -> str:
    """The token of the verification link, from the email the outbox row becomes."""
    [row] = rows("SELECT id FROM notifications WHERE type = 'email_verification'")
    assert deliver(row["id"]).status == "sent"
    text = body(parse(ses_sent_messages()[-1].raw_data), "plain")
    return re.search(r"/verify-email\?token=([\w.\-]+)", text).group(1)


@pytest.mark.usefixtures("ses")
def test_a_new_professional_proves_their_address_before_the_page_takes_bookings(register, client, rows):
    body = register(email="ana@example.com", public_slug="ana-practice").get_json()

    assert body["user"]["email_verified_at"] is None
    assert booking_page(client, "ana-practice") == 404

    token = emailed_token(rows)
    assert client.post("/auth/verify-email", json={"token": token}).status_code == 204
    assert client.post("/auth/verify-email", json={"token": token}).status_code == 204  # harmless again

    assert booking_page(client, "ana-practice") == 200
    [user] = rows("SELECT email_verified_at FROM users")
    assert user["email_verified_at"] is not None


def test_public_booking_is_refused_until_the_address_is_verified(uow, client):
    professional = make_professional(uow.session, email="new@example.com", email_verified=False)
    service = make_service(uow.session, professional)
    uow.commit()
    url = f"/public/professionals/{professional.public_slug}/appointments"

    response = client.post(url, json={"service_id": service.id, "start_datetime": "2030-06-04T10:00:00+02:00",
                                      "name": "Eva", "email": "eva@example.com"})

    assert response.status_code == 404


@pytest.mark.parametrize("change", ["forged", "other_account", "email_changed"])
def test_a_forged_or_stale_token_is_400_and_verifies_nothing(change, uow, client, rows):
    professional = make_professional(uow.session, email="ana@example.com", email_verified=False)
    other = make_professional(uow.session, email="eve@example.com", email_verified=False)
    uow.commit()
    expires = verification.new_expiry(dt.datetime.now(dt.UTC))
    token = {
        "forged": f"{professional.user_id}.{expires}.{'A' * 43}",
        "other_account": verification.make_token(professional.user_id, "eve@example.com", expires),
        "email_changed": verification.make_token(professional.user_id, "old@example.com", expires),
    }[change]
    del other

    response = client.post("/auth/verify-email", json={"token": token})

    assert response.status_code == 400
    assert all(r["email_verified_at"] is None for r in rows("SELECT email_verified_at FROM users"))


def test_an_expired_link_is_410(uow, client):
    professional = make_professional(uow.session, email="ana@example.com", email_verified=False)
    uow.commit()
    expired = int((dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).timestamp())

    token = verification.make_token(professional.user_id, "ana@example.com", expired)

    assert client.post("/auth/verify-email", json={"token": token}).status_code == 410


def test_the_link_can_be_sent_again_until_the_address_is_verified(uow, client, rows):
    professional = make_professional(uow.session, email="ana@example.com", email_verified=False)
    uow.commit()
    headers = headers_for(professional)

    statuses = [client.post("/me/email-verification", headers=headers).status_code for _ in range(6)]

    assert statuses == [202] * 5 + [429]  # RATE_LIMIT_EMAIL_VERIFICATION, 5 an hour
    assert len(rows("SELECT id FROM notifications WHERE type = 'email_verification'")) == 5


def test_a_verified_address_needs_no_new_link(professional, client):
    response = client.post("/me/email-verification", headers=headers_for(professional))

    assert response.status_code == 409


def test_registration_sends_the_link_once(register, rows):
    register(**registration(email="ana@example.com"))

    [note] = rows("SELECT type, recipient FROM notifications")
    assert note == {"type": "email_verification", "recipient": "ana@example.com"}
