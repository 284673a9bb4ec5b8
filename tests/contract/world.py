"""Two tenants with one of everything, and an admin: the objects contract tests call the API about."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from sqlalchemy import select, text

from shared import linktokens
from shared import models as m
from shared.accounts import refresh, verification
from tests import factories

# What belongs to a professional, by the column that says so (a snapshot compares these rows).
TENANT_TABLES = ("professional_settings", "services", "clients", "availability_blocks", "time_off",
                 "appointments", "appointment_requests", "public_links", "calendar_feeds", "calendar_sources",
                 "calendar_busy_intervals")


@dataclass
class Tenant:
    """A professional and the ids (and link tokens) of one object of each kind it owns."""

    professional: m.Professional
    headers: dict[str, str]
    ids: dict[str, int] = field(default_factory=dict)  # by path parameter name: service_id, client_id...
    values: dict[str, str] = field(default_factory=dict)  # slug, appointment_token, refresh_token...

    @property
    def email(self) -> str:
        return self.professional.user.email


@dataclass
class World:
    a: Tenant
    b: Tenant
    admin_headers: dict[str, str]


def next_monday(hour: int, weeks: int = 1, tz: str = "Europe/Madrid") -> dt.datetime:
    """A Monday at least a week away, at `hour` local time (so inside the tenant's Monday block)."""
    today = dt.datetime.now(zoneinfo.ZoneInfo(tz)).date()
    monday = today + dt.timedelta(days=(7 - today.weekday()) % 7 + 7 * weeks)
    return dt.datetime.combine(monday, dt.time(hour), zoneinfo.ZoneInfo(tz))


def _link(session, professional: m.Professional, *, appointment=None, request=None) -> str:
    """A client link (to the appointment, or else the request) and its token."""
    link_type = m.LinkType.appointment if appointment is not None else m.LinkType.appointment_request
    token, nonce, token_hash = linktokens.new_token(link_type.value)
    link = m.PublicLink(professional_id=professional.id, type=link_type, token_hash=token_hash,
                        token_nonce=nonce, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=60),
                        appointment_id=getattr(appointment, "id", None),
                        appointment_request_id=getattr(request, "id", None))
    session.add(link)
    session.flush()
    return token


def _reset_token(session, user: m.User) -> str:
    token, nonce, token_hash = linktokens.new_token("password_reset")
    session.add(m.PasswordReset(user_id=user.id, token_hash=token_hash, token_nonce=nonce,
                                     expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)))
    session.flush()
    return token


def make_tenant(session, email: str) -> Tenant:
    """A professional (public booking on) with a service, client, Monday block, time off, appointment,
    pending appointment request, and client links to both."""
    pro = factories.make_professional(session, email=email, allow_public_booking=True)
    service = factories.make_service(session, pro, duration_minutes=60)
    client = factories.make_client(session, pro)
    block = factories.make_block(session, pro, weekday=0, start="09:00", end="13:00")
    start = next_monday(10)
    appointment = factories.make_appointment(session, pro, service=service, client=client, start=start)
    time_off = m.TimeOff(professional_id=pro.id, start_datetime=start + dt.timedelta(days=30),
                         end_datetime=start + dt.timedelta(days=31), reason="Holiday")
    request = m.AppointmentRequest(professional_id=pro.id, service_id=service.id,
                                   requested_datetime=start + dt.timedelta(hours=1),
                                   end_datetime=start + dt.timedelta(hours=2),
                                   client_name="Rita Request", client_email="rita@example.com",
                                   status=m.RequestStatus.pending)
    # A calendar source whose address now resolves nowhere it may go: syncing it fails without a fetch.
    source = m.CalendarSource(professional_id=pro.id, kind=m.CalendarSourceKind.ics,
                              url="http://127.0.0.1:9/calendar.ics")
    _, feed_nonce, feed_hash = linktokens.new_token("calendar_feed")
    feed = m.CalendarFeed(professional_id=pro.id, token_hash=feed_hash, token_nonce=feed_nonce)
    session.add_all([time_off, request, source, feed])
    series_start = next_monday(9, weeks=3)
    series = m.AppointmentSeries(professional_id=pro.id, client_id=client.id, service_id=service.id,
                                 every_weeks=1, count=2, start_datetime=series_start, timezone=pro.timezone)
    session.add(series)
    session.flush()
    for week in range(2):
        occurrence = factories.make_appointment(session, pro, service=service, client=client,
                                                start=next_monday(9, weeks=3 + week))
        occurrence.series_id, occurrence.recurrence_start = series.id, occurrence.start_datetime
    session.flush()
    tenant = Tenant(pro, factories.headers_for(pro))
    tenant.ids = {"service_id": service.id, "client_id": client.id, "block_id": block.id,
                  "time_off_id": time_off.id, "appointment_id": appointment.id, "request_id": request.id,
                  "professional_id": pro.id, "source_id": source.id, "series_id": series.id}
    tenant.values = {
        "slug": pro.public_slug,
        "feed_token": linktokens.derive("calendar_feed", feed_nonce),
        "email": email,
        "password": factories.DEFAULT_PASSWORD,
        "appointment_token": _link(session, pro, appointment=appointment),
        "request_token": _link(session, pro, request=request),
        "refresh_token": refresh.issue(session, user_id=pro.user_id),
        "reset_token": _reset_token(session, pro.user),
        "verification_token": verification.make_token(pro.user_id, email, verification.new_expiry(
            dt.datetime.now(dt.UTC))),
        "monday": start.date().isoformat(),
        "free_start": next_monday(12).isoformat(),  # inside the block, clear of the appointment
        "later_start": next_monday(11, weeks=2).isoformat(),
        "off_start": (start + dt.timedelta(days=40)).isoformat(),
        "off_end": (start + dt.timedelta(days=41)).isoformat(),
    }
    return tenant


def make_world(session) -> World:
    """Tenants A and B and an admin, committed by the caller."""
    a = make_tenant(session, "a@example.com")
    b = make_tenant(session, "b@example.com")
    admin = factories.make_admin(session, email="admin@example.com")
    return World(a, b, factories.bearer(admin))


def snapshot(session, professional_id: int) -> dict[str, list[tuple]]:
    """Every row that belongs to the professional (and its user), to compare before and after."""
    rows: dict[str, list[tuple]] = {}
    owner = select(m.Professional.user_id).where(m.Professional.id == professional_id)
    user_id = session.execute(owner).scalar_one()
    for table, where, value in (("professionals", "id", professional_id),
                                ("users", "id", user_id),
                                *((name, "professional_id", professional_id) for name in TENANT_TABLES)):
        result = session.execute(text(f"SELECT * FROM {table} WHERE {where} = :value ORDER BY 1"),
                                 {"value": value})
        rows[table] = [tuple(row) for row in result]
    return rows
