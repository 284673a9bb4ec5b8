"""Raw MIME assembly: text + HTML alternatives, plus an optional calendar invitation."""

from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr


def _sender_header(sender: str, sender_name: str | None) -> Address:
    display, address = parseaddr(sender)
    if "@" not in address:
        raise ValueError(f"invalid sender address {sender!r}")
    user, domain = address.rsplit("@", 1)
    return Address(display_name=sender_name or display, username=user, domain=domain)


def build_message(*, sender: str, to: str | Sequence[str], subject: str, text: str, html: str,
                  ics: bytes | None = None, ics_method: str | None = None, reply_to: str | None = None,
                  sender_name: str | None = None, message_id: str | None = None,
                  date: datetime | None = None) -> bytes:
    """multipart/mixed[alternative[text, html, calendar?], invite.ics?] as CRLF bytes, ready for SES."""
    if ics is not None and ics_method not in ("REQUEST", "CANCEL"):
        raise ValueError("ics_method must be REQUEST or CANCEL when an invitation is attached")
    recipients = [to] if isinstance(to, str) else list(to)
    from_ = _sender_header(sender, sender_name)
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = from_
    msg["To"] = ", ".join(recipients)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = format_datetime((date or datetime.now(UTC)).astimezone(UTC))
    msg["Message-ID"] = message_id or make_msgid(domain=from_.domain)
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    if ics is not None:
        # Inline text/calendar lets mail clients show the invitation; the attachment serves the rest.
        params = {"method": ics_method, "charset": "utf-8"}
        msg.add_alternative(ics, maintype="text", subtype="calendar", cte="base64", params=params)
    msg.make_mixed()
    if ics is not None:
        msg.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]
    return msg.as_bytes()
