"""Fixtures for e-mail tests: a complete appointment context and a moto-backed SES."""

from datetime import UTC, datetime, timedelta

import pytest

SENDER = "Agenda <no-reply@agenda.example>"
REGION = "eu-west-1"


@pytest.fixture
def appointment_context():
    """A Monday 09:00 Madrid appointment (07:00 UTC, the day after the DST change), hostile client name."""
    start = datetime(2027, 3, 29, 7, 0, tzinfo=UTC)
    return {
        "client_name": "<script>alert('x')</script> Lucía",
        "client_email": "lucia@example.com",
        "client_phone": "+34 600 000 000",
        "client_comment": "Primera sesión",
        "professional_name": "Ana López",
        "business_name": "Psicología Ana López",
        "service_name": "Terapia individual",
        "start": start,
        "end": start + timedelta(minutes=50),
        "timezone": "Europe/Madrid",
        "previous_start": start - timedelta(days=3),
        "location": "Calle Mayor 1, Madrid",
        "reason": "Indisposición",
        "public_base_url": "https://agenda.example/",
        "manage_token": "tok-123",
        "professional_slug": "ana-lopez",
        "appointment_id": 42,
        "confirm_url": "https://agenda.example/confirm/tok-123",
        "hold_expires_at": datetime(2027, 3, 20, 9, 30, tzinfo=UTC),
    }


@pytest.fixture
def ses(monkeypatch):
    """moto's SES in this region, with the sender's domain verified; yields the SES v2 client."""
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        import boto3

        client = boto3.client("sesv2", region_name=REGION, aws_access_key_id="testing",
                              aws_secret_access_key="testing")
        client.create_email_identity(EmailIdentity="agenda.example")
        yield client


def ses_sent_messages():
    """What moto recorded for SendEmail with raw content (the v1 backend keeps it for v2 as well)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
