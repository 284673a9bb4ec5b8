"""Turn one outbox row into the raw MIME message to send: context, templates, calendar file, headers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.errors import MessageError
from email.utils import parseaddr

from shared.models import Notification
from shared.notifications.calendar import appointment_uid, build_ics
from shared.notifications.context import Letter, Undeliverable, build_letter
from shared.notifications.mime import build_message
from shared.notifications.render import render_email
from shared.notifications.series_invites import series_ics


@dataclass(frozen=True)
class Outgoing:
    recipient: str
    raw: bytes


def compose(session, notification_id: int, *, now: dt.datetime, settings) -> Outgoing:
    """The message for a claimed row; raises Skip (no longer relevant) or an AgendaError (cannot be built)."""
    notification = session.get(Notification, notification_id)
    if notification is None:
        raise Undeliverable(f"Notification {notification_id} does not exist.")
    letter = build_letter(session, notification, now=now, public_base_url=settings.public_base_url)
    rendered = render_email(letter.kind, letter.locale, letter.context)
    try:
        method, ics = _calendar(session, letter, notification, now) if letter.invite else (None, None)
        raw = build_message(
            sender=settings.email_sender, to=letter.recipient, subject=rendered.subject, text=rendered.text,
            html=rendered.html, ics=ics, ics_method=method,
            reply_to=letter.reply_to, sender_name=on_behalf_name(letter.sender_name, settings.email_sender),
            message_id=_message_id(notification, settings.email_sender), date=now,
        )
    except (ValueError, TypeError, MessageError) as exc:
        # The same rows would fail the same way on every retry: a permanent failure, with its reason.
        raise Undeliverable(f"The message cannot be built: {exc}") from exc
    return Outgoing(recipient=letter.recipient, raw=raw)


def on_behalf_name(name: str | None, sender: str) -> str | None:
    """The From display name of a professional's email: theirs, through the platform ("Ana via Agenda"),
    so that a business name cannot pass for anyone else's mail on its own."""
    if not name:
        return None
    platform = parseaddr(sender)[0] or "Agenda"
    return f"{name} via {platform}"


def _calendar(session, letter: Letter, notification: Notification, now: dt.datetime) -> tuple[str, bytes]:
    """(method, file): one appointment's event, or under its series' UID for an occurrence of a series."""
    invite = letter.invite
    appointment = invite.appointment
    common = {"summary": invite.summary, "description": invite.description,
              "organizer_email": invite.organizer_email, "organizer_name": invite.organizer_name,
              "attendee_email": invite.attendee_email, "attendee_name": invite.attendee_name, "stamp": now}
    if appointment.series_id is not None:
        return series_ics(session, appointment, method=invite.method,
                          whole="series_id" in (notification.payload or {}), **common)
    return invite.method, build_ics(
        method=invite.method, uid=appointment_uid(appointment.id), sequence=appointment.sequence,
        start=appointment.start_datetime, end=appointment.end_datetime, **common)


def _message_id(notification: Notification, sender: str) -> str:
    # The same row always gets the same Message-ID, so a rare second send (a worker that died between
    # sending and recording it) is recognisable as a duplicate by mail clients.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "agenda.invalid"
    return f"<notification-{notification.id}.{int(notification.created_at.timestamp())}@{domain}>"
