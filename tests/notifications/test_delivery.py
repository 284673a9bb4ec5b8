"""deliver(): one outbox row becomes one e-mail through SES (moto), sent once, with a truthful status."""

from __future__ import annotations

import datetime as dt
import socket
import threading

import pytest

from shared import linktokens
from shared.config import get_settings, reset_settings
from shared.models import AppointmentRequest, AppointmentStatus, PasswordReset
from shared.notifications import delivery, links, outbox
from shared.notifications.email_backends import TransientEmailError
from shared.notifications.service import deliver
from tests.factories import make_professional, make_service

from .conftest import ses_sent_messages
from .outbox_support import T0, body, book, calendars, event, notification, parse

BASE = "https://app.agenda.example"
DASHBOARD = "https://pro.agenda.example"


def _with_dashboard(monkeypatch):
    """The professionals' own frontend is configured: their e-mails link to its dashboard."""
    from shared.config import reset_settings

    monkeypatch.setenv("DASHBOARD_BASE_URL", DASHBOARD)
    reset_settings()
START = T0 + dt.timedelta(days=3)  # Thursday 25 March 2027, 09:00 in Madrid


def _enqueue(uow, kind, recipient, **ids):
    notification_id = outbox.enqueue(uow, type=kind, recipient=recipient, **ids)
    uow.commit()
    return notification_id


def test_booking_confirmation_reaches_the_client_with_invitation_and_manage_link(ses, uow, professional):
    appointment, token = book(uow.session, professional, start=START)
    nid = _enqueue(uow, "booking_confirmation", "lucia@example.com", appointment_id=appointment.id,
                   professional_id=professional.id)

    outcome = deliver(nid, now=T0)

    assert outcome.status == "sent"
    (sent,) = ses_sent_messages()
    assert set(sent.destinations) == {"lucia@example.com"}
    message = parse(sent.raw_data)
    assert message["To"] == "lucia@example.com"
    assert message["Reply-To"] == "pro@example.com"
    assert professional.business_name in message["From"]
    assert "Terapia individual" in message["Subject"]
    manage = links.manage_url(BASE, token)
    assert manage in body(message, "plain") and manage in body(message, "html")
    assert "Lucía Cliente" in body(message, "plain")
    assert "jueves, 25 de marzo de 2027, 9:00 (Europe/Madrid)" in body(message, "plain")
    calendar, vevent = event(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(vevent["UID"]) == f"appointment-{appointment.id}@agenda"
    assert int(vevent["SEQUENCE"]) == 0
    assert vevent.decoded("DTSTART") == START
    assert vevent.decoded("DTEND") == START + dt.timedelta(minutes=50)
    row = notification(uow.session, nid)
    assert (row.status.value, row.sent_at, row.attempts) == ("sent", T0, 1)
    assert row.provider_message_id == sent.id and row.error_message is None


def test_new_booking_tells_the_professional_with_invitation(ses, uow, professional, monkeypatch):
    _with_dashboard(monkeypatch)
    appointment, _ = book(uow.session, professional, start=START)
    nid = _enqueue(uow, "new_booking", "pro@example.com", appointment_id=appointment.id,
                   professional_id=professional.id)

    assert deliver(nid, now=T0).status == "sent"

    (sent,) = ses_sent_messages()
    message = parse(sent.raw_data)
    assert message["To"] == "pro@example.com"
    assert "Lucía Cliente" in body(message, "plain") and "lucia@example.com" in body(message, "plain")
    assert f"{DASHBOARD}/dashboard/appointments/{appointment.id}" in body(message, "plain")
    calendar, vevent = event(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(vevent["UID"]) == f"appointment-{appointment.id}@agenda"


def test_cancellation_carries_cancel_with_the_bumped_sequence_and_no_manage_link(ses, uow, professional):
    appointment, token = book(uow.session, professional, start=START)
    appointment.status, appointment.sequence = AppointmentStatus.cancelled_by_professional, 1
    nid = _enqueue(uow, "cancelled_by_professional", "lucia@example.com", appointment_id=appointment.id,
                   professional_id=professional.id, payload={"reason": "Indisposición"})

    assert deliver(nid, now=T0).status == "sent"

    message = parse(ses_sent_messages()[0].raw_data)
    assert "Indisposición" in body(message, "plain")
    assert links.manage_url(BASE, token) not in body(message, "plain")
    calendar, vevent = event(message)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert int(vevent["SEQUENCE"]) == 1
    assert str(vevent["STATUS"]) == "CANCELLED"


def test_reminder_has_no_invitation(ses, uow, professional):
    appointment, token = book(uow.session, professional, start=START)
    nid = _enqueue(uow, "reminder", "lucia@example.com", appointment_id=appointment.id,
                   professional_id=professional.id, payload={"start": START.isoformat()},
                   dedupe_key=f"reminder:{appointment.id}:{START.isoformat()}")

    assert deliver(nid, now=T0).status == "sent"

    message = parse(ses_sent_messages()[0].raw_data)
    assert links.manage_url(BASE, token) in body(message, "plain")
    assert not [p for p in message.walk() if p.get_content_type() in ("text/calendar", "application/ics")]


def test_password_reset_link_is_rederived_from_the_stored_nonce(ses, uow, professional):
    token, nonce, token_hash = linktokens.new_token("password_reset")
    reset = PasswordReset(user_id=professional.user_id, token_hash=token_hash, token_nonce=nonce,
                               expires_at=T0 + dt.timedelta(hours=1))
    uow.session.add(reset)
    uow.session.flush()
    nid = _enqueue(uow, "password_reset", "pro@example.com", user_id=professional.user_id,
                   payload={"password_reset_token_id": reset.id})

    assert deliver(nid, now=T0).status == "sent"

    message = parse(ses_sent_messages()[0].raw_data)
    assert links.reset_url(BASE, token) in body(message, "plain")
    assert linktokens.hash_token(token) == reset.token_hash
    assert "60" in body(message, "plain")


def test_used_password_reset_token_is_skipped(ses, uow, professional):
    _, nonce, token_hash = linktokens.new_token("password_reset")
    reset = PasswordReset(user_id=professional.user_id, token_hash=token_hash, token_nonce=nonce,
                               expires_at=T0 + dt.timedelta(hours=1), used_at=T0)
    uow.session.add(reset)
    uow.session.flush()
    nid = _enqueue(uow, "password_reset", "pro@example.com", user_id=professional.user_id,
                   payload={"password_reset_token_id": reset.id})

    outcome = deliver(nid, now=T0)

    assert outcome.status == "skipped"
    row = notification(uow.session, nid)
    assert row.status.value == "skipped" and row.sent_at is None and "used" in row.error_message
    assert ses_sent_messages() == []


@pytest.mark.parametrize("status", ["cancelled_by_client", "cancelled_by_professional", "completed"])
def test_reminder_for_an_appointment_no_longer_on_is_skipped(ses, uow, professional, status):
    appointment, _ = book(uow.session, professional, start=START)
    nid = _enqueue(uow, "reminder", "lucia@example.com", appointment_id=appointment.id,
                   professional_id=professional.id, payload={"start": START.isoformat()})
    appointment.status = AppointmentStatus(status)
    uow.commit()

    assert deliver(nid, now=T0).status == "skipped"
    assert notification(uow.session, nid).error_message == f"the appointment is {status}"
    assert ses_sent_messages() == []


def test_reminder_for_a_moved_appointment_is_skipped(ses, uow, professional):
    appointment, _ = book(uow.session, professional, start=START)
    nid = _enqueue(uow, "reminder", "lucia@example.com", appointment_id=appointment.id,
                   professional_id=professional.id, payload={"start": START.isoformat()})
    appointment.start_datetime += dt.timedelta(hours=2)
    appointment.end_datetime += dt.timedelta(hours=2)
    uow.commit()

    assert deliver(nid, now=T0).status == "skipped"
    assert "moved" in notification(uow.session, nid).error_message
    assert ses_sent_messages() == []


def test_appointment_emails_are_skipped_once_notifications_are_turned_off(ses, uow, professional):
    appointment, _ = book(uow.session, professional, start=START)
    nid = _enqueue(uow, "booking_confirmation", "lucia@example.com", appointment_id=appointment.id,
                   professional_id=professional.id)
    professional.settings.email_notification_enabled = False
    uow.commit()

    assert deliver(nid, now=T0).status == "skipped"
    assert ses_sent_messages() == []


def test_unverified_sender_is_recorded_as_failed_with_the_provider_error(ses, uow, professional, monkeypatch):
    appointment, _ = book(uow.session, professional, start=START)
    nid = _enqueue(uow, "booking_confirmation", "lucia@example.com", appointment_id=appointment.id,
                   professional_id=professional.id)
    monkeypatch.setenv("EMAIL_SENDER", "Agenda <no-reply@not-verified.example>")
    reset_settings()

    outcome = deliver(nid, now=T0)

    assert outcome.status == "failed"
    row = notification(uow.session, nid)
    assert row.status.value == "failed" and row.sent_at is None and row.attempts == 1
    assert row.error_message.startswith("MessageRejected")
    assert ses_sent_messages() == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_provider_is_retried_with_backoff_then_sent(ses, uow, professional, monkeypatch):
    appointment, _ = book(uow.session, professional, start=START)
    nid = _enqueue(uow, "booking_confirmation", "lucia@example.com", appointment_id=appointment.id,
                   professional_id=professional.id)
    monkeypatch.setenv("SES_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    reset_settings()

    first = deliver(nid, now=T0)

    assert first.status == "retry" and first.retry_at == T0 + dt.timedelta(minutes=1)
    row = notification(uow.session, nid)
    assert (row.status.value, row.attempts, row.scheduled_for) == ("pending", 1, first.retry_at)
    assert "EndpointConnectionError" in row.error_message
    assert deliver(nid, now=T0 + dt.timedelta(seconds=30)).status == "not_claimed"  # not due yet

    monkeypatch.delenv("SES_ENDPOINT_URL")
    reset_settings()
    assert deliver(nid, now=T0 + dt.timedelta(seconds=61)).status == "sent"

    row = notification(uow.session, nid)
    assert (row.status.value, row.attempts, row.error_message) == ("sent", 2, None)
    assert len(ses_sent_messages()) == 1


class ThrottledProvider:
    """A provider that is always busy, counting the attempts it refused."""

    def __init__(self):
        self.calls = 0

    def send(self, raw, *, to, sender):
        self.calls += 1
        raise TransientEmailError("Throttling: Maximum sending rate exceeded.", "Throttling")


def test_transient_errors_end_as_failed_after_the_last_attempt(uow, professional):
    appointment, _ = book(uow.session, professional, start=START)
    nid = _enqueue(uow, "booking_confirmation", "lucia@example.com", appointment_id=appointment.id,
                   professional_id=professional.id)
    provider, now, delays = ThrottledProvider(), T0, []

    for _ in range(delivery.MAX_ATTEMPTS - 1):
        outcome = deliver(nid, now=now, sender=provider)
        assert outcome.status == "retry"
        delays.append(outcome.retry_at - now)
        now = outcome.retry_at
    last = deliver(nid, now=now, sender=provider)

    assert [d.total_seconds() / 60 for d in delays] == [1, 2, 4, 8, 16]
    assert last.status == "failed" and provider.calls == delivery.MAX_ATTEMPTS
    row = notification(uow.session, nid)
    assert row.status.value == "failed" and row.attempts == delivery.MAX_ATTEMPTS
    assert row.error_message == (f"gave up after {delivery.MAX_ATTEMPTS} attempts: "
                                 "Throttling: Maximum sending rate exceeded.")


def test_two_concurrent_deliveries_of_one_row_send_one_email(ses, uow, professional):
    appointment, _ = book(uow.session, professional, start=START)
    nid = _enqueue(uow, "booking_confirmation", "lucia@example.com", appointment_id=appointment.id,
                   professional_id=professional.id)
    barrier, outcomes = threading.Barrier(2), []

    def worker():
        barrier.wait()
        outcomes.append(deliver(nid, now=T0).status)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["not_claimed", "sent"]
    assert len(ses_sent_messages()) == 1
    assert notification(uow.session, nid).attempts == 1


def test_a_claim_is_taken_over_only_once_its_worker_looks_dead(ses, uow, professional):
    appointment, _ = book(uow.session, professional, start=START)
    nid = _enqueue(uow, "booking_confirmation", "lucia@example.com", appointment_id=appointment.id,
                   professional_id=professional.id)
    row = notification(uow.session, nid)
    timeout = delivery.claim_timeout(get_settings())
    assert timeout <= dt.timedelta(minutes=2)  # a killed worker delays its message a couple of minutes
    row.status, row.claimed_at, row.attempts = "sending", T0 - timeout + dt.timedelta(seconds=5), 1
    uow.commit()

    assert deliver(nid, now=T0).status == "not_claimed"
    assert deliver(nid, now=T0 + dt.timedelta(seconds=6)).status == "sent"
    assert notification(uow.session, nid).attempts == 2


def test_a_row_scheduled_for_later_is_not_sent_early(ses, uow, professional):
    appointment, _ = book(uow.session, professional, start=START)
    nid = outbox.enqueue(uow, type="booking_confirmation", recipient="lucia@example.com",
                         appointment_id=appointment.id, professional_id=professional.id,
                         scheduled_for=T0 + dt.timedelta(minutes=5))
    uow.commit()

    assert deliver(nid, now=T0).status == "not_claimed"
    assert deliver(nid, now=T0 + dt.timedelta(minutes=5)).status == "sent"


def test_a_message_that_cannot_be_built_fails_without_retrying(ses, uow, professional):
    appointment, _ = book(uow.session, professional, start=START)
    nid = _enqueue(uow, "birthday_greeting", "lucia@example.com", appointment_id=appointment.id,
                   professional_id=professional.id)

    assert deliver(nid, now=T0).status == "failed"
    row = notification(uow.session, nid)
    assert row.status.value == "failed" and "birthday_greeting" in row.error_message


def test_english_professional_writes_in_english(ses, uow):
    professional = make_professional(uow.session, email="en@example.com", locale="en",
                                     timezone="Europe/London")
    appointment, _ = book(uow.session, professional, start=START)
    nid = _enqueue(uow, "booking_confirmation", "lucia@example.com", appointment_id=appointment.id,
                   professional_id=professional.id)

    assert deliver(nid, now=T0).status == "sent"

    text = body(parse(ses_sent_messages()[0].raw_data), "plain")
    assert "Thursday, March 25, 2027, 8:00\u202fAM (Europe/London)" in text


def test_a_row_whose_worker_died_on_its_last_attempt_fails_without_sending(ses, uow, professional):
    appointment, _ = book(uow.session, professional, start=START)
    nid = _enqueue(uow, "booking_confirmation", "lucia@example.com", appointment_id=appointment.id,
                   professional_id=professional.id)
    row = notification(uow.session, nid)
    row.status, row.claimed_at, row.attempts = "sending", T0 - dt.timedelta(hours=1), delivery.MAX_ATTEMPTS
    uow.commit()

    assert deliver(nid, now=T0).status == "failed"

    row = notification(uow.session, nid)
    assert row.status.value == "failed" and row.error_message == "gave up after 6 attempts"
    assert ses_sent_messages() == []


def test_request_emails_are_built_from_the_request(ses, uow, professional, monkeypatch):
    _with_dashboard(monkeypatch)
    service = make_service(uow.session, professional, name="Terapia individual", duration_minutes=50)
    request = AppointmentRequest(professional_id=professional.id, service_id=service.id,
                                 requested_datetime=START, end_datetime=START + dt.timedelta(minutes=50),
                                 client_name="Lucía Cliente", client_email="lucia@example.com",
                                 client_comment="Primera vez")
    uow.session.add(request)
    uow.session.flush()
    ids = {kind: outbox.enqueue(uow, type=kind, recipient=recipient, professional_id=professional.id,
                                appointment_request_id=request.id, payload=payload)
           for kind, recipient, payload in (
               ("request_received", "lucia@example.com", None),
               ("request_received_professional", "pro@example.com", None),
               ("request_rejected", "lucia@example.com", {"reason": "Agenda completa"}))}
    uow.commit()

    assert {deliver(nid, now=T0).status for nid in ids.values()} == {"sent"}

    received, for_professional, rejected = (parse(m.raw_data) for m in ses_sent_messages())
    assert (received["To"], for_professional["To"], rejected["To"]) == (
        "lucia@example.com", "pro@example.com", "lucia@example.com")
    assert received["Reply-To"] == "pro@example.com" and for_professional["Reply-To"] is None
    assert "jueves, 25 de marzo de 2027, 9:00 (Europe/Madrid)" in body(received, "plain")
    assert "Primera vez" in body(for_professional, "plain")
    assert f"{DASHBOARD}/dashboard/requests" in body(for_professional, "plain")
    assert f"{BASE}/requests/{request.id}/accept/" in body(for_professional, "plain")
    assert "Agenda completa" in body(rejected, "plain")
    assert f"{BASE}/book/{professional.public_slug}" in body(rejected, "plain")
    assert all(not calendars(m) for m in (received, for_professional, rejected))
