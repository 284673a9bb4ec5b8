"""Mail in a professional's name: only once they verified their address, through the platform in the From
name, within a daily allowance; a message that cannot be built fails for good, with its reason."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from shared.config import reset_settings
from shared.notifications import outbox
from shared.notifications.service import deliver

from .conftest import ses_sent_messages
from .outbox_support import T0, book, notification, parse

START = T0 + dt.timedelta(days=3)


def confirmation(uow, professional, *, hour: int = 0, **book_args) -> int:
    appointment, _ = book(uow.session, professional, start=START + dt.timedelta(hours=hour), **book_args)
    notification_id = outbox.enqueue(uow.session, type="booking_confirmation", recipient="lucia@example.com",
                                     appointment_id=appointment.id, professional_id=professional.id)
    uow.commit()
    return notification_id


def test_the_from_name_says_the_mail_comes_through_the_platform(ses, uow, professional):
    # The review set business_name to "PayPal Security Team", which became the whole From name.
    professional.business_name = "PayPal Security Team"
    uow.commit()

    assert deliver(confirmation(uow, professional), now=T0).status == "sent"

    (sent,) = ses_sent_messages()
    (sender,) = parse(sent.raw_data)["From"].addresses
    assert sender.display_name == "PayPal Security Team via Agenda"
    assert sender.addr_spec == "no-reply@agenda.example"


def test_no_mail_reaches_clients_before_the_professional_verifies_their_address(ses, uow, professional):
    professional.user.email_verified_at = None
    uow.commit()
    notification_id = confirmation(uow, professional)

    outcome = deliver(notification_id, now=T0)

    assert outcome.status == "skipped"
    assert ses_sent_messages() == []
    assert notification(uow.session, notification_id).error_message == (
        "the professional has not verified their email address")


def test_mail_per_professional_and_day_is_capped(ses, uow, professional, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_EMAILS_PER_PROFESSIONAL", "2/day")
    reset_settings()
    ids = [confirmation(uow, professional, hour=n, client_email=f"c{n}@example.com") for n in range(3)]

    outcomes = [deliver(notification_id, now=T0).status for notification_id in ids]

    assert outcomes == ["sent", "sent", "skipped"]
    assert len(ses_sent_messages()) == 2
    assert "RATE_LIMIT_EMAILS_PER_PROFESSIONAL" in notification(uow.session, ids[2]).error_message


def test_a_message_that_cannot_be_built_fails_for_good_with_its_reason(ses, uow, professional, db_engine):
    # A CR/LF reached a business name before names refused control characters (or through the database).
    with db_engine.begin() as conn:
        conn.execute(text("UPDATE professionals SET business_name = 'Ana\r\nBcc: all@example.com' "
                          "WHERE id = :id"), {"id": professional.id})
    notification_id = confirmation(uow, professional)

    outcome = deliver(notification_id, now=T0)

    assert outcome.status == "failed" and outcome.retry_at is None
    row = notification(uow.session, notification_id)
    assert row.status.value == "failed" and row.attempts == 1
    assert row.error_message.startswith("The message cannot be built")
    assert ses_sent_messages() == []
