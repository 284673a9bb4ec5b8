"""What an e-mail says: the rows a notification points to, re-read when it is sent, as a template context."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from shared import linktokens, ratelimit
from shared.config import get_settings
from shared.errors import AgendaError
from shared.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentRequest,
    AppointmentStatus,
    CalendarSource,
    Notification,
    PasswordReset,
    Professional,
    PublicLink,
    RequestStatus,
    Service,
    User,
)
from shared.notifications import links
from shared.notifications.calendar import ICS_METHOD_BY_KIND
from shared.notifications.render import CLIENT_KINDS
from shared.notifications.series_context import series_context

# The contract adds the professional's copy of a new booking to the calendar invitations.
ICS_METHODS = {**ICS_METHOD_BY_KIND, "new_booking": "REQUEST"}
REQUEST_KINDS = frozenset({"request_received", "request_received_professional", "request_rejected"})
# Saying "booked" or "moved" about an appointment that is no longer on is worse than saying nothing.
NEEDS_ACTIVE_APPOINTMENT = frozenset({
    "booking_confirmation", "booking_received", "new_booking", "request_accepted", "rescheduled",
    "rescheduled_professional", "reminder",
})


class Skip(Exception):
    """The message no longer applies when its turn comes; `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Undeliverable(AgendaError):
    """The rows the message needs are missing or inconsistent; sending it again cannot help."""


@dataclass(frozen=True)
class Invite:
    """The calendar event attached to an e-mail."""

    method: str
    appointment: Appointment
    summary: str
    description: str
    organizer_email: str
    organizer_name: str
    attendee_email: str
    attendee_name: str


@dataclass
class Letter:
    """Everything needed to render and address one e-mail."""

    kind: str
    recipient: str
    locale: str
    context: dict[str, Any]
    reply_to: str | None = None
    sender_name: str | None = None
    invite: Invite | None = None


def build_letter(session, notification: Notification, *, now: dt.datetime, public_base_url: str) -> Letter:
    """Re-read what the notification refers to, check it still applies, and build the template context."""
    if notification.type == "password_reset":
        return _password_reset(session, notification, now, public_base_url)
    if notification.type == "calendar_source_flagged":
        return _calendar_source_flagged(session, notification)
    if notification.type == "email_verification":
        return _email_verification(session, notification, now, public_base_url)
    professional = _professional(session, notification.professional_id)
    if not professional.settings.email_notification_enabled:
        raise Skip("the professional has turned e-mail notifications off")
    if notification.type in REQUEST_KINDS:
        return _request_letter(session, notification, professional, public_base_url)
    return _appointment_letter(session, notification, professional, now, public_base_url)


def _professional(session, professional_id: int | None) -> Professional:
    professional = professional_id and session.scalar(
        select(Professional).where(Professional.id == professional_id)
        .options(joinedload(Professional.user), joinedload(Professional.settings)))
    if not professional:
        raise Undeliverable("The notification names no existing professional.")
    return professional


def _common(professional: Professional, public_base_url: str) -> dict[str, Any]:
    return {
        "professional_name": professional.user.name, "business_name": professional.business_name,
        "timezone": professional.timezone, "public_base_url": public_base_url,
        "dashboard_base_url": get_settings().dashboard_base_url,
        "professional_slug": professional.public_slug,
        "cancellation_notice_hours": professional.settings.cancellation_policy_hours,
    }


def _link_token(session, owner_column, owner_id: int | None) -> str | None:
    """The client's live token, re-derived from the stored nonce (the token itself is stored only as a
    hash)."""
    if owner_id is None:
        return None
    link = session.scalar(select(PublicLink).where(owner_column == owner_id, PublicLink.revoked_at.is_(None))
                          .order_by(PublicLink.id.desc()).limit(1))
    return linktokens.derive(link.type.value, link.token_nonce) if link is not None else None


def _manage_url(session, public_base_url: str, owner_column, owner_id: int | None) -> str | None:
    token = _link_token(session, owner_column, owner_id)
    return links.manage_url(public_base_url, token) if token else None


def _moment(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _appointment_letter(session, notification: Notification, professional: Professional, now: dt.datetime,
                        public_base_url: str) -> Letter:
    kind, payload = notification.type, notification.payload or {}
    appointment = session.scalar(
        select(Appointment).where(Appointment.id == notification.appointment_id)
        .options(joinedload(Appointment.client), joinedload(Appointment.service)))
    if appointment is None or appointment.professional_id != professional.id:
        raise Undeliverable(f"'{kind}' needs an appointment of the professional.")
    active = appointment.status in ACTIVE_STATUSES
    if kind in NEEDS_ACTIVE_APPOINTMENT and not active:
        raise Skip(f"the appointment is {appointment.status.value}")
    if kind == "booking_hold" and (appointment.status != AppointmentStatus.held
                                   or appointment.hold_expires_at <= now):
        raise Skip(f"the booking is no longer held ({appointment.status.value})")
    if kind == "reminder":
        _check_reminder(appointment, payload, now)
    client, service = appointment.client, appointment.service
    context = _common(professional, public_base_url) | {
        "client_name": client.name, "client_email": client.email, "client_phone": client.phone,
        "client_comment": appointment.client_comment, "service_name": service.name,
        "appointment_id": appointment.id,
        "start": appointment.start_datetime, "end": appointment.end_datetime,
        "previous_start": _moment(payload.get("previous_start")), "reason": payload.get("reason"),
    } | series_context(session, kind, appointment, payload)
    if kind == "booking_hold":
        token = _link_token(session, PublicLink.appointment_id, appointment.id)
        context["confirm_url"] = token and links.confirm_booking_url(public_base_url, token)
        context["hold_expires_at"] = appointment.hold_expires_at
    for_client = kind in CLIENT_KINDS
    if for_client and active:
        context["manage_url"] = (
            _manage_url(session, public_base_url, PublicLink.appointment_id, appointment.id)
            or _manage_url(session, public_base_url, PublicLink.appointment_request_id,
                           notification.appointment_request_id))
    letter = Letter(kind=kind, recipient=notification.recipient, locale=professional.settings.locale,
                    context=context)
    if for_client:
        _on_behalf_of(letter, professional)
    if kind in ICS_METHODS:
        letter.invite = _invite(kind, appointment, professional, context)
    return letter


def _check_reminder(appointment: Appointment, payload: dict, now: dt.datetime) -> None:
    start = _moment(payload.get("start"))
    if start is None or start != appointment.start_datetime:
        raise Skip("the appointment has moved since the reminder was written")
    if appointment.start_datetime <= now:
        raise Skip("the appointment has already started")


def _invite(kind: str, appointment: Appointment, professional: Professional, context: dict) -> Invite:
    for_client = kind in CLIENT_KINDS
    lines = [f"{context['service_name']} · {professional.business_name}"]
    if context.get("manage_url"):
        lines.append(context["manage_url"])
    return Invite(
        method=ICS_METHODS[kind], appointment=appointment,
        summary=(f"{context['service_name']} · "
                 f"{professional.business_name if for_client else context['client_name']}"),
        description="\n".join(lines),
        organizer_email=professional.user.email, organizer_name=professional.business_name,
        attendee_email=context["client_email"], attendee_name=context["client_name"],
    )


def _request_letter(session, notification: Notification, professional: Professional,
                    public_base_url: str) -> Letter:
    kind, payload = notification.type, notification.payload or {}
    request = session.get(AppointmentRequest, notification.appointment_request_id or 0)
    if request is None or request.professional_id != professional.id:
        raise Undeliverable(f"'{kind}' needs an appointment request of the professional.")
    service = session.scalar(select(Service).where(Service.id == request.service_id,
                                                   Service.professional_id == professional.id))
    if service is None:
        raise Undeliverable(f"'{kind}' needs the requested service.")
    context = _common(professional, public_base_url) | {
        "client_name": request.client_name, "client_email": request.client_email,
        "client_phone": request.client_phone, "client_comment": request.client_comment,
        "service_name": service.name, "start": request.requested_datetime,
        "end": request.end_datetime, "reason": payload.get("reason"),
    }
    if kind == "request_received_professional" and request.status == RequestStatus.pending:
        token = linktokens.request_decision_token(request.id)
        context["accept_url"] = links.request_decision_url(public_base_url, request.id, "accept", token)
        context["decline_url"] = links.request_decision_url(public_base_url, request.id, "decline", token)
    letter = Letter(kind=kind, recipient=notification.recipient, locale=professional.settings.locale,
                    context=context)
    if kind in CLIENT_KINDS:
        _on_behalf_of(letter, professional)
    return letter


def _calendar_source_flagged(session, notification: Notification) -> Letter:
    """An operational message to the professional, sent whatever their booking-e-mail setting."""
    source_id = (notification.payload or {}).get("calendar_source_id")
    source = session.get(CalendarSource, int(source_id)) if source_id is not None else None
    if source is None or source.flagged_at is None:
        raise Skip("the calendar source was removed or reads again")
    professional = _professional(session, source.professional_id)
    context = {"user_name": professional.user.name, "calendar_host": urlsplit(source.url).hostname or "",
               "last_error": source.last_error or "",
               "stale_hours": get_settings().calendar_source_stale_hours}
    return Letter(kind=notification.type, recipient=notification.recipient,
                  locale=professional.settings.locale, context=context)


def _on_behalf_of(letter: Letter, professional: Professional) -> None:
    """A client's email goes out in the professional's name only once they proved their address, and within
    their daily allowance (RATE_LIMIT_EMAILS_PER_PROFESSIONAL)."""
    if professional.user.email_verified_at is None:
        raise Skip("the professional has not verified their email address")
    if not ratelimit.count("emails_per_professional", str(professional.id)):
        raise Skip("the professional's daily email allowance is spent (RATE_LIMIT_EMAILS_PER_PROFESSIONAL)")
    letter.reply_to, letter.sender_name = professional.user.email, professional.business_name


def _password_reset(session, notification: Notification, now: dt.datetime, public_base_url: str) -> Letter:
    token_id = (notification.payload or {}).get("password_reset_token_id")
    token = session.get(PasswordReset, int(token_id)) if token_id is not None else None
    user = session.get(User, notification.user_id or 0)
    if token is None or user is None or token.user_id != user.id:
        raise Skip("the password reset token no longer exists")
    if token.used_at is not None or token.expires_at <= now:
        raise Skip("the password reset token was used or has expired")
    professional = session.scalar(select(Professional).where(Professional.user_id == user.id)
                                  .options(joinedload(Professional.settings)))
    reset_token = linktokens.derive("password_reset", token.token_nonce)
    context = {
        "user_name": user.name, "public_base_url": public_base_url,
        "reset_url": links.reset_url(public_base_url, reset_token),
        "expires_minutes": max(1, int((token.expires_at - now).total_seconds() // 60)),
    }
    locale = professional.settings.locale if professional and professional.settings else None
    return Letter(kind="password_reset", recipient=notification.recipient, locale=locale or "es",
                  context=context)


def _email_verification(session, notification: Notification, now: dt.datetime,
                        public_base_url: str) -> Letter:
    from shared.accounts import verification

    user = session.get(User, notification.user_id or 0)
    expires = (notification.payload or {}).get("expires")
    if user is None or not isinstance(expires, int) or user.email != notification.recipient:
        raise Skip("the account or its email address changed")
    if user.email_verified_at is not None:
        raise Skip("the email address is already verified")
    if expires <= now.timestamp():
        raise Skip("the verification link has expired")
    professional = session.scalar(select(Professional).where(Professional.user_id == user.id)
                                  .options(joinedload(Professional.settings)))
    context = {
        "user_name": user.name, "public_base_url": public_base_url,
        "verify_url": links.verify_email_url(public_base_url, verification.make_token(user.id, user.email,
                                                                                    expires)),
        "expires_days": verification.LIFETIME.days,
    }
    locale = professional.settings.locale if professional and professional.settings else None
    return Letter(kind="email_verification", recipient=notification.recipient, locale=locale or "es",
                  context=context)
