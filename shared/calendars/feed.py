"""The professional's calendar feed: a secret, revocable .ics URL that calendar apps subscribe to.

The token is HMAC(LINK_SECRET, "calendar_feed:" + nonce) as for emailed links (shared.linktokens): the
database keeps its SHA-256 and the nonce, so the URL can be shown again and a dump alone does not give
it away. Rotating draws a new nonce, and the old URL stops working at once.

The feed lists the appointments of a window around today (pending ones TENTATIVE, cancelled ones
CANCELLED for CANCELLED_KEPT after cancelling) under the same UID and SEQUENCE as the emailed
invitations, so a calendar that got both shows one event. Titles carry the service and the client's
initials unless the professional turns full names on; notes and contact details never appear. The
body is built only from stored values (DTSTAMP is the appointment's updated_at), so it is identical
until something changes and its SHA-256 serves as the ETag.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from shared import linktokens
from shared.config import get_settings
from shared.errors import NotFound
from shared.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    CalendarFeed,
    Professional,
)

PURPOSE = "calendar_feed"
FEED_PATH = "/calendar/feed/{token}.ics"
PAST = dt.timedelta(days=31)  # appointments before this are left out
FUTURE = dt.timedelta(days=366)  # and those after this
CANCELLED_KEPT = dt.timedelta(days=14)  # a cancelled appointment stays (as CANCELLED) this long
REFRESH = "PT1H"  # how often subscribers are asked to poll (REFRESH-INTERVAL, X-PUBLISHED-TTL)
STATUS = {AppointmentStatus.pending: "TENTATIVE", AppointmentStatus.confirmed: "CONFIRMED",
          AppointmentStatus.completed: "CONFIRMED"}


def feed_url(token: str) -> str:
    return get_settings().api_base_url + FEED_PATH.format(token=token)


def _describe(feed: CalendarFeed) -> dict[str, Any]:
    url = feed_url(linktokens.derive(PURPOSE, feed.token_nonce))
    return {"url": url, "webcal_url": "webcal://" + url.split("://", 1)[1],
            "show_client_names": feed.show_client_names}


def _feed_of(session, professional_id: int, *, lock: bool = False) -> CalendarFeed:
    """The professional's feed row, created on first use."""
    query = select(CalendarFeed).where(CalendarFeed.professional_id == professional_id)
    feed = session.scalar(query.with_for_update() if lock else query)
    if feed is None:
        _, nonce, token_hash = linktokens.new_token(PURPOSE)
        feed = CalendarFeed(professional_id=professional_id, token_hash=token_hash, token_nonce=nonce)
        session.add(feed)
        session.flush()
    return feed


def get_feed(uow, *, professional_id: int) -> dict[str, Any]:
    """The feed's URL (webcal:// too) and whether titles show full client names."""
    described = _describe(_feed_of(uow.session, professional_id))
    uow.commit()
    return described


def update_feed(uow, *, professional_id: int, feed_in: dict[str, Any]) -> dict[str, Any]:
    """Turn full client names in event titles on or off."""
    feed = _feed_of(uow.session, professional_id, lock=True)
    feed.show_client_names = feed_in["show_client_names"]
    uow.session.flush()
    described = _describe(feed)
    uow.commit()
    return described


def rotate_feed(uow, *, professional_id: int) -> dict[str, Any]:
    """A new secret URL; the previous one answers 404 from now on."""
    feed = _feed_of(uow.session, professional_id, lock=True)
    _, feed.token_nonce, feed.token_hash = linktokens.new_token(PURPOSE)
    uow.session.flush()
    described = _describe(feed)
    uow.commit()
    return described


def initials(name: str) -> str:
    """"Ana María López" -> "A. M. L."; what event titles show of a client by default."""
    return " ".join(f"{part[0].upper()}." for part in name.split() if part[:1].isalnum())


def render_feed(uow, *, token: str, now: dt.datetime | None = None) -> tuple[bytes, str]:
    """The feed behind a token as (body, etag); NotFound for a token that is not (or no longer) valid."""
    feed = None
    if linktokens.looks_like_token(token):
        feed = uow.session.scalar(
            select(CalendarFeed).where(CalendarFeed.token_hash == linktokens.hash_token(token))
            .options(joinedload(CalendarFeed.professional)))
    if feed is None or not feed.professional.is_active:
        raise NotFound("This calendar feed does not exist.")
    now = now or dt.datetime.now(dt.UTC)
    appointments = uow.session.scalars(
        select(Appointment)
        .where(Appointment.professional_id == feed.professional_id,
               Appointment.end_datetime > now - PAST, Appointment.start_datetime < now + FUTURE,
               or_(Appointment.status.in_((*ACTIVE_STATUSES, AppointmentStatus.completed)),
                   and_(Appointment.cancelled_at.is_not(None),
                        Appointment.cancelled_at > now - CANCELLED_KEPT)))
        .options(joinedload(Appointment.client), joinedload(Appointment.service))
        .order_by(Appointment.start_datetime, Appointment.id)).all()
    body = _calendar(feed.professional, appointments, feed.show_client_names)
    return body, hashlib.sha256(body).hexdigest()


def _calendar(professional: Professional, appointments: list[Appointment], full_names: bool) -> bytes:
    # Only here: icalendar (with dateutil) costs the availability function about 7 MiB, and its block,
    # rule and feed-settings requests never render a calendar.
    from icalendar import Calendar

    from shared.notifications.calendar import PRODID, appointment_event, appointment_uid

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Agenda: {professional.business_name}")
    calendar.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    for appointment in appointments:
        who = appointment.client.name if full_names else initials(appointment.client.name)
        calendar.add_component(appointment_event(
            uid=appointment_uid(appointment.id), sequence=appointment.sequence,
            start=appointment.start_datetime, end=appointment.end_datetime,
            summary=f"{appointment.service.name} · {who}" if who else appointment.service.name,
            status=STATUS.get(appointment.status, "CANCELLED"), stamp=appointment.updated_at))
    return calendar.to_ical()
