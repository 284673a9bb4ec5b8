"""Raw MIME messages: alternatives, calendar part, attachment and encoded headers."""

import email
from datetime import UTC, datetime
from email import policy

import pytest

from shared.notifications.mime import build_message

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


def _parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def test_message_with_invitation_has_text_html_calendar_and_attachment():
    raw = build_message(sender="Agenda <no-reply@agenda.example>", to=["Lucía <lucia@example.com>"],
                        subject="Cita confirmada: lunes, 29 de marzo", text="Hola, Lucía:\n",
                        html="<p>Hola, Lucía:</p>", ics=ICS, ics_method="REQUEST",
                        reply_to="ana@example.com", sender_name="Psicología Ana López")
    message = _parse(raw)

    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    plain, html, calendar = alternative.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert plain.get_content_type() == "text/plain" and plain.get_content_charset() == "utf-8"
    assert plain.get_content().replace("\r\n", "\n") == "Hola, Lucía:\n"
    assert html.get_content_type() == "text/html" and "<p>Hola, Lucía:</p>" in html.get_content()
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST" and calendar.get_content_charset() == "utf-8"
    assert calendar.get_payload(decode=True) == ICS
    assert attachment.get_filename() == "invite.ics" and attachment.get_payload(decode=True) == ICS
    assert message["Subject"] == "Cita confirmada: lunes, 29 de marzo"
    assert message["From"].addresses[0].display_name == "Psicología Ana López"
    assert message["From"].addresses[0].addr_spec == "no-reply@agenda.example"
    assert message["To"].addresses[0].addr_spec == "lucia@example.com"
    assert message["Reply-To"] == "ana@example.com"
    assert message["Message-ID"].endswith("@agenda.example>")
    assert message["Date"].datetime.tzinfo is not None


def test_headers_are_ascii_on_the_wire():
    raw = build_message(sender="Agenda <no-reply@agenda.example>", to="lucia@example.com",
                        subject="Cancelación confirmada ñ", text="á", html="<p>á</p>")
    headers = raw.split(b"\r\n\r\n", 1)[0]

    assert headers.isascii()
    assert b"=?utf-8?" in headers


def test_message_without_invitation_has_no_calendar():
    raw = build_message(sender="no-reply@agenda.example", to="lucia@example.com", subject="Hola",
                        text="t", html="<p>h</p>", date=datetime(2027, 3, 1, 12, 0, tzinfo=UTC),
                        message_id="<fixed@agenda.example>")
    message = _parse(raw)

    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html"]
    assert message["Message-ID"] == "<fixed@agenda.example>"
    assert message["Date"] == "Mon, 01 Mar 2027 12:00:00 +0000"


def test_cancel_invitation_carries_cancel_method():
    message = _parse(build_message(sender="no-reply@agenda.example", to="l@example.com", subject="x",
                                   text="t", html="h", ics=ICS, ics_method="CANCEL"))
    calendar = next(part for part in message.walk() if part.get_content_type() == "text/calendar")

    assert calendar.get_param("method") == "CANCEL"


def test_invitation_without_method_is_refused():
    with pytest.raises(ValueError):
        build_message(sender="no-reply@agenda.example", to="l@example.com", subject="x", text="t",
                      html="h", ics=ICS, ics_method=None)


def test_header_injection_through_recipient_is_refused():
    with pytest.raises(ValueError):
        build_message(sender="no-reply@agenda.example", to="l@example.com\r\nBcc: x@evil.example",
                      subject="x", text="t", html="h")
