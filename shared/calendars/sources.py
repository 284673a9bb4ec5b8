"""Calendar sources: the professional's own calendars, read on a schedule and kept as busy intervals.

A sync reads the source (outside any transaction: a slow server must not hold a database connection),
then writes the outcome in one transaction: on success the source's busy intervals are replaced whole;
on failure the last good intervals stay, so a failing source never breaks booking, until the last good
read is older than CALENDAR_SOURCE_STALE_HOURS. Then the source is flagged: its busy time stops counting
and the professional is emailed once (until it syncs again, which clears the flag).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select

from shared.config import get_settings
from shared.db import unit_of_work
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models import (
    CalendarBusyInterval,
    CalendarSource,
    CalendarSourceKind,
    Professional,
    ProfessionalSettings,
    User,
)
from shared.notifications import outbox

MAX_ID = 2**63 - 1
MAX_SOURCES = 10  # per professional
PAST = dt.timedelta(days=1)  # the window read starts this long before now...
AHEAD_MARGIN = dt.timedelta(days=2)  # ...and ends this long after the professional's booking horizon
FULL_READ_EVERY = dt.timedelta(hours=24)  # a conditional GET's "not modified" is trusted this long
ERROR_LENGTH = 500
FLAGGED_KIND = "calendar_source_flagged"


# Reading and changing the list


def _query(professional_id: int):
    return select(CalendarSource).where(CalendarSource.professional_id == professional_id)


def get_source(uow, *, professional_id: int, source_id: int, lock: bool = False) -> CalendarSource:
    """One of the professional's sources; NotFound for anyone else's."""
    source = None
    if source_id <= MAX_ID:
        query = _query(professional_id).where(CalendarSource.id == source_id)
        source = uow.session.scalar(query.with_for_update() if lock else query)
    if source is None:
        raise NotFound("The calendar source does not exist.")
    return source


def get_all_sources(uow, *, professional_id: int, limit: int,
                    offset: int) -> tuple[list[CalendarSource], int]:
    """A page of the professional's sources, oldest first."""
    query = _query(professional_id)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = uow.session.scalars(query.order_by(CalendarSource.id).limit(limit).offset(offset))
    return list(rows), total


def normalized_url(url: str) -> str:
    """webcal:// (what Apple and Google hand out for subscribing) read as https://; then check_url()."""
    if url[:9].lower() == "webcal://":
        url = "https://" + url[9:]
    # requests and recurring-ical-events load only where a calendar is read or a URL checked, so the
    # availability function's slot and block requests (and its memory) do without them.
    from shared.calendars import fetch

    try:
        return fetch.check_url(url)
    except fetch.FetchError as exc:
        raise ValidationFailed(errors={"url": [str(exc)]}) from None


def create_source(uow, *, professional_id: int, source_in: dict[str, Any]) -> CalendarSource:
    """Add a source (read on the next sync, or at once with sync_now); Conflict past MAX_SOURCES."""
    session = uow.session
    session.execute(select(Professional.id).where(Professional.id == professional_id).with_for_update())
    count = session.scalar(select(func.count()).select_from(_query(professional_id).subquery()))
    if count >= MAX_SOURCES:
        raise Conflict(f"A professional can have at most {MAX_SOURCES} calendar sources.",
                       slug="too-many-calendar-sources")
    kind = CalendarSourceKind(source_in["kind"])
    source = CalendarSource(professional_id=professional_id, kind=kind, url=normalized_url(source_in["url"]),
                            all_day_blocks=source_in["all_day_blocks"])
    if kind is CalendarSourceKind.caldav:
        source.username = source_in["username"]
        source.password = source_in["password"]
    session.add(source)
    session.flush()
    session.refresh(source)
    uow.commit()
    return source


def delete_source(uow, *, professional_id: int, source_id: int) -> None:
    """Remove a source and its busy time (slots it blocked open up at once)."""
    uow.session.delete(get_source(uow, professional_id=professional_id, source_id=source_id))
    uow.commit()


# Syncing


@dataclass(frozen=True)
class Plan:
    """What one sync needs, read before the fetch so that no transaction stays open during it."""

    source_id: int
    kind: CalendarSourceKind
    url: str
    username: str | None
    password: str | None
    etag: str | None
    last_modified: str | None
    window_start: dt.datetime
    window_end: dt.datetime
    zone: ZoneInfo
    all_day_blocks: bool


@dataclass(frozen=True)
class Read:
    """A fetch's outcome: the busy spans (None when the server said "not modified"), or an error."""

    spans: list[tuple[dt.datetime, dt.datetime]] | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None


def _plan(session, source_id: int, now: dt.datetime) -> Plan | None:
    row = session.execute(
        select(CalendarSource, Professional.timezone, ProfessionalSettings.booking_advance_days)
        .join(Professional, Professional.id == CalendarSource.professional_id)
        .outerjoin(ProfessionalSettings, ProfessionalSettings.professional_id == Professional.id)
        .where(CalendarSource.id == source_id)).first()
    if row is None:
        return None
    source, timezone, advance_days = row
    fresh = source.content_read_at is not None and source.content_read_at > now - FULL_READ_EVERY
    return Plan(source_id=source.id, kind=source.kind, url=source.url, username=source.username,
                password=source.password,
                etag=source.etag if fresh else None, last_modified=source.last_modified if fresh else None,
                window_start=now - PAST,
                window_end=now + dt.timedelta(days=advance_days or 60) + AHEAD_MARGIN,
                zone=ZoneInfo(timezone), all_day_blocks=source.all_day_blocks)


def read_source(plan: Plan) -> Read:
    """Fetch and parse one source; every failure comes back as Read(error=...), never raised."""
    from shared.calendars import busy, fetch

    try:
        if plan.kind is CalendarSourceKind.caldav:
            from shared.calendars.caldav_source import calendar_documents

            documents, etag, last_modified = calendar_documents(plan), None, None
        else:
            documents, etag, last_modified = _ics_documents(plan)
            if documents is None:
                return Read(etag=plan.etag, last_modified=plan.last_modified)
        spans = busy.busy_intervals(documents, window_start=plan.window_start, window_end=plan.window_end,
                                    zone=plan.zone, all_day_blocks=plan.all_day_blocks)
    except (fetch.FetchError, busy.CalendarUnreadable) as exc:
        return Read(error=str(exc)[:ERROR_LENGTH])
    return Read(spans=spans, etag=etag, last_modified=last_modified)


def _ics_documents(plan: Plan) -> tuple[list[bytes] | None, str | None, str | None]:
    from shared.calendars import fetch

    headers = {"Accept": "text/calendar, */*;q=0.5"}
    if plan.etag:
        headers["If-None-Match"] = plan.etag
    if plan.last_modified:
        headers["If-Modified-Since"] = plan.last_modified
    with fetch.guarded_session() as session:
        response = fetch.get(session, plan.url, headers=headers)
    if response.status_code == 304 and (plan.etag or plan.last_modified):
        return None, None, None
    if response.status_code != 200:
        raise fetch.FetchError(f"The calendar server answered {response.status_code}.")
    etag, last_modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    return [response.content], etag[:400] if etag else None, last_modified[:100] if last_modified else None


def sync_source(source_id: int, *, now: dt.datetime | None = None) -> CalendarSource | None:
    """Read one source now and record the outcome; None when the source no longer exists."""
    now = now or dt.datetime.now(dt.UTC)
    with unit_of_work() as uow:
        plan = _plan(uow.session, source_id, now)
    if plan is None:
        return None
    outcome = read_source(plan)
    with unit_of_work() as uow:
        source = uow.session.scalar(select(CalendarSource).where(CalendarSource.id == source_id)
                                    .with_for_update())
        if source is None:
            return None
        _record(uow, source, outcome, now)
        uow.session.flush()
        uow.session.refresh(source)
        uow.commit()
        return source


def sync_now(uow, *, professional_id: int, source_id: int, now: dt.datetime | None = None) -> CalendarSource:
    """The professional's "sync now": the source read at once, answered with the outcome."""
    get_source(uow, professional_id=professional_id, source_id=source_id)
    uow.session.rollback()  # no transaction stays open during the fetch
    source = sync_source(source_id, now=now)
    if source is None:
        raise NotFound("The calendar source does not exist.")
    return source


def _record(uow, source: CalendarSource, outcome: Read, now: dt.datetime) -> None:
    session = uow.session
    source.last_attempt_at = now
    if outcome.error is None:
        if outcome.spans is not None:
            session.execute(delete(CalendarBusyInterval).where(CalendarBusyInterval.source_id == source.id))
            if outcome.spans:
                session.execute(insert(CalendarBusyInterval), [
                    {"source_id": source.id, "professional_id": source.professional_id,
                     "start_datetime": start, "end_datetime": end} for start, end in outcome.spans])
            source.busy_count = len(outcome.spans)
            source.content_read_at = now
        source.etag, source.last_modified = outcome.etag, outcome.last_modified
        source.last_synced_at, source.last_error, source.flagged_at = now, None, None
        return
    source.last_error = outcome.error
    last_good = source.last_synced_at or source.created_at
    stale_after = dt.timedelta(hours=get_settings().calendar_source_stale_hours)
    if source.flagged_at is None and last_good < now - stale_after:
        _flag(uow, source, now)


def _flag(uow, source: CalendarSource, now: dt.datetime) -> None:
    """Stop counting the source's busy time and tell the professional, once per failing stretch."""
    session = uow.session
    session.execute(delete(CalendarBusyInterval).where(CalendarBusyInterval.source_id == source.id))
    source.busy_count = 0
    source.flagged_at = now
    email = session.scalar(select(User.email).join(Professional, Professional.user_id == User.id)
                           .where(Professional.id == source.professional_id))
    outbox.enqueue(uow, type=FLAGGED_KIND, recipient=email, professional_id=source.professional_id,
                   payload={"calendar_source_id": source.id},
                   dedupe_key=f"{FLAGGED_KIND}:{source.id}:{now.isoformat()}")


def all_source_ids(uow) -> list[int]:
    """Every source, for the scheduled sync (flagged ones too: a sync that succeeds clears the flag)."""
    return list(uow.session.scalars(select(CalendarSource.id).order_by(CalendarSource.id)))
