"""Delivery through SES (moto) and to files, and how provider failures are classified."""

import email
import logging
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime
from email import policy
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from icalendar import Calendar

from shared.notifications.calendar import appointment_uid, build_ics
from shared.notifications.email_backends import (
    FileSender,
    PermanentEmailError,
    SesSender,
    TransientEmailError,
    classify_client_error,
    get_sender,
)
from shared.notifications.mime import build_message
from shared.notifications.render import render_email

from .conftest import REGION, SENDER, ses_sent_messages

REPO_ROOT = Path(__file__).resolve().parents[2]


def _confirmation(context) -> bytes:
    rendered = render_email("booking_confirmation", "es", context)
    ics = build_ics(method="REQUEST", uid=appointment_uid(42), sequence=0, start=context["start"],
                    end=context["end"], summary=context["service_name"], description=rendered.text,
                    organizer_email="ana@example.com", organizer_name="Ana López",
                    attendee_email="lucia@example.com", attendee_name="Lucía",
                    stamp=datetime(2027, 3, 1, tzinfo=UTC))
    return build_message(sender=SENDER, to=["lucia@example.com"], subject=rendered.subject,
                         text=rendered.text, html=rendered.html, ics=ics, ics_method="REQUEST")


def _ses_sender(**kwargs) -> SesSender:
    return SesSender(region=REGION, aws_access_key_id="testing", aws_secret_access_key="testing", **kwargs)


def test_ses_delivers_raw_message_with_parts_and_invitation(ses, appointment_context):
    message_id = _ses_sender().send(_confirmation(appointment_context), to=["lucia@example.com"],
                                    sender=SENDER)

    (sent,) = ses_sent_messages()
    assert sent.id == message_id
    assert sent.source == "no-reply@agenda.example"
    assert "lucia@example.com" in sent.destinations
    received = email.message_from_string(sent.raw_data, policy=policy.default)
    assert received["Subject"].strip().startswith("Cita confirmada: Terapia individual")  # may be folded
    types = [part.get_content_type() for part in received.walk()]
    assert {"text/plain", "text/html", "text/calendar"} <= set(types)
    assert ", 9:00 (Europe/Madrid)" in received.get_body(("plain",)).get_content()
    assert "&lt;script&gt;" in received.get_body(("html",)).get_content()
    invite = next(p for p in received.walk() if p.get_filename() == "invite.ics")
    (event,) = Calendar.from_ical(invite.get_payload(decode=True)).events
    assert str(event["UID"]) == "appointment-42@agenda"
    assert event.start == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)


def test_ses_refuses_unverified_sender_as_permanent(ses, appointment_context):
    with pytest.raises(PermanentEmailError) as caught:
        _ses_sender().send(_confirmation(appointment_context), to=["lucia@example.com"],
                           sender="someone@unverified.example")

    assert caught.value.code == "MessageRejected"
    assert ses_sent_messages() == []


def test_ses_refuses_invalid_recipient_as_permanent(ses, appointment_context):
    with pytest.raises(PermanentEmailError):
        _ses_sender().send(_confirmation(appointment_context), to=["not-an-address"], sender=SENDER)


@pytest.mark.parametrize(("code", "status", "expected"), [
    ("Throttling", 400, TransientEmailError),
    ("TooManyRequestsException", 429, TransientEmailError),
    ("ServiceUnavailable", 503, TransientEmailError),
    ("InternalFailure", 500, TransientEmailError),
    ("SomethingNew", 502, TransientEmailError),
    ("MessageRejected", 400, PermanentEmailError),
    ("MailFromDomainNotVerifiedException", 400, PermanentEmailError),
    ("BadRequestException", 400, PermanentEmailError),
    ("AccountSuspendedException", 400, PermanentEmailError),
    ("SomethingElse", 400, PermanentEmailError),
])
def test_client_errors_are_classified(code, status, expected):
    response = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    error = ClientError(response, "SendEmail")

    classified = classify_client_error(error)

    assert type(classified) is expected and classified.code == code


@pytest.mark.parametrize(("code", "status", "expected"), [
    ("TooManyRequestsException", 429, TransientEmailError),
    ("LimitExceededException", 400, TransientEmailError),
    ("BadRequestException", 400, PermanentEmailError),
])
def test_ses_sender_raises_classified_errors(code, status, expected):
    client = boto3.client("sesv2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        stubber.add_client_error("send_email", service_error_code=code, http_status_code=status)
        with pytest.raises(expected) as caught:
            SesSender(region=REGION, client=client).send(b"raw", to=["a@example.com"], sender=SENDER)

    assert caught.value.code == code
    assert isinstance(caught.value.__cause__, ClientError)


def test_unreachable_endpoint_is_transient():
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = boto3.client("sesv2", region_name=REGION, endpoint_url=f"http://127.0.0.1:{port}",
                          aws_access_key_id="x", aws_secret_access_key="x",
                          config=Config(retries={"total_max_attempts": 1}, connect_timeout=2))

    with pytest.raises(TransientEmailError):
        SesSender(region=REGION, client=client).send(b"raw", to=["a@example.com"], sender=SENDER)


def test_file_sender_writes_parseable_eml(tmp_path, caplog, appointment_context):
    raw = _confirmation(appointment_context)
    outbox = tmp_path / "outbox"

    with caplog.at_level(logging.INFO, logger="shared.notifications.email_backends"):
        message_id = FileSender(outbox).send(raw, to=["lucia@example.com"], sender=SENDER)

    (path,) = outbox.iterdir()
    assert path.name == f"{message_id}.eml"
    assert re.fullmatch(r"\d{8}T\d{12}Z-[0-9a-f]{32}\.eml", path.name)
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["To"] == "lucia@example.com"
    assert parsed.get_body(("html",)) is not None
    assert len(caplog.records) == 1 and str(path) in caplog.records[0].getMessage()


def test_get_sender_follows_settings(tmp_path):
    base = {"email_dir": str(tmp_path), "email_sender": SENDER, "ses_region": "eu-south-2",
            "ses_endpoint_url": "https://ses.example.test", "aws_access_key_id": "k",
            "aws_secret_access_key": "s", "email_timeout_seconds": 10}

    file_sender = get_sender(SimpleNamespace(email_backend="file", **base))
    ses_sender = get_sender(SimpleNamespace(email_backend="ses", **base))

    assert isinstance(file_sender, FileSender) and file_sender.directory == tmp_path
    assert isinstance(ses_sender, SesSender)
    assert ses_sender.client.meta.region_name == "eu-south-2"
    assert ses_sender.client.meta.endpoint_url == "https://ses.example.test"
    with pytest.raises(ValueError):
        get_sender(SimpleNamespace(email_backend="carrier-pigeon", **base))


def test_importing_notifications_does_not_import_boto3():
    code = ("import sys, shared.notifications, shared.notifications.render, shared.notifications.mime, "
            "shared.notifications.calendar, shared.notifications.email_backends; "
            "sys.exit(1 if 'boto3' in sys.modules or 'botocore' in sys.modules else 0)")

    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                            env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"})

    assert result.returncode == 0, result.stderr
