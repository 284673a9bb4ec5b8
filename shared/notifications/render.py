"""Render an e-mail (subject, plain text, HTML) from the Jinja2 templates of a kind and locale."""

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

import jinja2

from shared.errors import AgendaError
from shared.notifications import links, timefmt

DEFAULT_LOCALE = "es"
LOCALES = ("es", "en")
CLIENT_KINDS = (
    "booking_hold", "booking_confirmation", "booking_received", "request_received", "request_accepted",
    "request_rejected", "reminder", "cancelled_by_professional", "cancellation_confirmation", "rescheduled",
)
PROFESSIONAL_KINDS = ("new_booking", "request_received_professional", "cancelled_by_client",
                      "rescheduled_professional")
KINDS = (*CLIENT_KINDS, *PROFESSIONAL_KINDS, "password_reset", "calendar_source_flagged",
         "email_verification")

# Every key a template may read. Missing optional keys render as absent; required ones are checked per kind.
CONTEXT_KEYS = {
    "client_name": "client's display name (appointment kinds, required)",
    "client_email": "client's e-mail, shown to the professional",
    "client_phone": "client's phone, shown to the professional",
    "client_comment": "what the client wrote when booking or requesting (never the private notes)",
    "professional_name": "professional's display name (appointment kinds, required)",
    "business_name": "practice / business name; signs client e-mails when given",
    "service_name": "service booked (appointment kinds, required)",
    "start": "aware datetime, start of the appointment (required)",
    "end": "aware datetime, end of the appointment (required)",
    "timezone": "professional's IANA timezone; every time is shown in it, zone named (required)",
    "previous_start": "aware datetime, the old start (rescheduled kinds, required there)",
    "location": "address or how to join (video link text)",
    "reason": "why it was cancelled or rejected",
    "cancellation_notice_hours": "minimum notice for the client to cancel, in hours",
    "request_expires_at": "aware datetime when an unanswered request expires",
    "public_base_url": "base of every link; with the tokens/ids below the links are built from it",
    "manage_token": "client's cancel/reschedule token -> manage_url",
    "manage_url": "explicit client link to cancel or reschedule",
    "confirm_url": "booking_hold: the link that confirms a held booking (required there)",
    "hold_expires_at": "booking_hold: aware datetime until which the booking waits for the confirmation",
    "professional_slug": "public slug -> booking_url (book another time)",
    "booking_url": "explicit link to the professional's booking page",
    "dashboard_base_url": "professionals' own frontend (DASHBOARD_BASE_URL); without it, no dashboard links",
    "appointment_id": "appointment id -> dashboard_url in e-mails to the professional",
    "dashboard_url": "explicit link for the professional",
    "accept_url": "request_received_professional: the page that accepts the request (no login)",
    "decline_url": "request_received_professional: the page that declines the request (no login)",
    "user_name": "greeting name for password_reset",
    "reset_token": "password reset token -> reset_url",
    "reset_url": "explicit password reset link (password_reset, required unless token + base given)",
    "expires_minutes": "validity of the reset link, in minutes",
    "calendar_host": "host of a calendar source (never its full URL, which may be secret)",
    "last_error": "why a calendar source could not be read",
    "stale_hours": "how long a calendar source may fail before its busy time stops counting",
    "verify_url": "link that confirms the account's email address (email_verification, required)",
    "expires_days": "validity of the verification link, in days",
    "product_name": "defaults to 'Agenda'",
    # A weekly series (appointment kinds): without series_every_weeks the e-mail shows no series line.
    "series_every_weeks": "the series repeats every N weeks (1 = weekly)",
    "series_scope": "None: the e-mail tells of a new series; 'this': of one of its sessions alone; "
                    "'following' / 'all': of a change to this session and the following ones / all upcoming",
    "series_count": "how many sessions the e-mail tells of (the booked ones, or the changed ones); more than "
                    "one with the scope 'following' or 'all' -> several_sessions (it speaks of them)",
    "series_first_start": "aware datetime, the first of those sessions -> series_first_when",
    "series_last_start": "aware datetime, the last of those sessions -> series_last_when",
    "series_skipped": "aware datetimes of the series' weeks left without a session -> series_skipped_dates",
}
_APPOINTMENT_REQUIRED = ("client_name", "professional_name", "service_name", "start", "end", "timezone")
REQUIRED_KEYS = {
    **{kind: _APPOINTMENT_REQUIRED for kind in (*CLIENT_KINDS, *PROFESSIONAL_KINDS)},
    "booking_hold": (*_APPOINTMENT_REQUIRED, "confirm_url", "hold_expires_at"),
    "rescheduled": (*_APPOINTMENT_REQUIRED, "previous_start"),
    "rescheduled_professional": (*_APPOINTMENT_REQUIRED, "previous_start"),
    "password_reset": ("reset_url",),
    "calendar_source_flagged": ("calendar_host", "last_error", "stale_hours"),
    "email_verification": ("verify_url",),
}


class EmailTemplateNotFound(AgendaError, LookupError):
    """No template exists for this e-mail kind (or one of its three files is missing)."""


class EmailContextError(AgendaError, ValueError):
    """The context lacks a value the kind needs, or holds an unusable one (naive datetime, bad zone)."""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def templates_dir() -> Path:
    """TEMPLATES_DIR, or `templates/` next to the `shared` package (repo root or the function image)."""
    return Path(os.environ.get("TEMPLATES_DIR") or Path(__file__).resolve().parents[2] / "templates")


@lru_cache(maxsize=4)
def _environment(root: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(root) / "email"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def normalize_locale(locale: str | None) -> str:
    """'en-GB' / 'en_US' -> 'en'; anything unsupported -> the default, 'es'."""
    lang = str(locale or "").replace("_", "-").split("-")[0].strip().lower()
    return lang if lang in LOCALES else DEFAULT_LOCALE


def _derive(kind: str, locale: str, context: dict) -> dict:
    data = dict.fromkeys(CONTEXT_KEYS) | {k: v for k, v in context.items() if v is not None}
    data.update(locale=locale, kind=kind, product_name=data["product_name"] or "Agenda")
    data["signature_name"] = data["business_name"] or data["professional_name"]
    base = data["public_base_url"]
    if base:
        if not data["manage_url"] and data["manage_token"]:
            data["manage_url"] = links.manage_url(base, data["manage_token"])
        if not data["reset_url"] and data["reset_token"]:
            data["reset_url"] = links.reset_url(base, data["reset_token"])
        if not data["booking_url"] and data["professional_slug"]:
            data["booking_url"] = links.booking_url(base, data["professional_slug"])
    dashboard = data["dashboard_base_url"]
    if dashboard and not data["dashboard_url"]:
        if kind == "request_received_professional":
            data["dashboard_url"] = links.dashboard_url(dashboard)
        elif kind in PROFESSIONAL_KINDS and data["appointment_id"]:
            data["dashboard_url"] = links.dashboard_url(dashboard, data["appointment_id"])
    missing = [key for key in REQUIRED_KEYS.get(kind, ()) if data.get(key) in (None, "")]
    if missing:
        raise EmailContextError(f"E-mail '{kind}' needs: {', '.join(missing)}.", missing=missing)
    if data["start"] is not None:
        _derive_times(data, locale)
    # A change that reaches several sessions of a series speaks of them, not of "your appointment".
    several = data["series_scope"] in ("following", "all") and (data["series_count"] or 0) > 1
    data["several_sessions"] = several
    return data


def _derive_times(data: dict, locale: str) -> None:
    tz, start, end = data["timezone"], data["start"], data["end"]

    def optional(moment):
        return moment and timefmt.format_datetime(moment, tz, locale)

    try:
        data.update(
            when=timefmt.format_datetime(start, tz, locale),
            date=timefmt.format_date(start, tz, locale),
            time=timefmt.format_time(start, tz, locale),
            at_time=timefmt.format_at_time(start, tz, locale),
            end_time=timefmt.format_time(end, tz, locale),
            duration_minutes=int((end - start).total_seconds() // 60),
            previous_when=optional(data["previous_start"]),
            expires_when=optional(data["request_expires_at"]),
            hold_expires_when=optional(data["hold_expires_at"]),
            series_first_when=optional(data["series_first_start"]),
            series_last_when=optional(data["series_last_start"]),
            series_skipped_dates=[timefmt.format_date(moment, tz, locale)
                                  for moment in data["series_skipped"] or ()],
        )
    except (ValueError, TypeError, ZoneInfoNotFoundError) as exc:
        raise EmailContextError(f"Unusable date or timezone for the e-mail: {exc}") from exc


def render_email(kind: str, locale: str | None, context: dict) -> RenderedEmail:
    """Render `kind` in `locale` (unknown -> 'es'); see CONTEXT_KEYS for what `context` may hold."""
    if kind not in KINDS:
        raise EmailTemplateNotFound(f"Unknown e-mail kind {kind!r}.", kind=kind)
    lang = normalize_locale(locale)
    data = _derive(kind, lang, context)
    env = _environment(str(templates_dir()))
    try:
        subject_t, text_t, html_t = (
            env.get_template(f"{lang}/{kind}.{suffix}") for suffix in ("subject.txt", "txt", "html")
        )
    except jinja2.TemplateNotFound as exc:
        raise EmailTemplateNotFound(f"Missing e-mail template {exc.name!r} in {templates_dir()}.",
                                    kind=kind) from exc
    subject = " ".join(subject_t.render(data).split())
    text = "\n".join(line.rstrip() for line in text_t.render(data, subject=subject).strip().splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text) + "\n"
    return RenderedEmail(subject=subject, text=text, html=html_t.render(data, subject=subject))
