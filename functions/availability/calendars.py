"""Calendars: the professional's subscribable feed, and their own calendars read as busy time."""

from flask import Blueprint, Response, request

from shared.calendars import feed, schemas, sources
from shared.db import unit_of_work
from shared.http import (
    created,
    current_principal,
    dump,
    no_content,
    page,
    page_params,
    parse_body,
    require_professional,
)

bp = Blueprint("calendars", __name__)
FEED_CACHE_CONTROL = "no-cache"  # calendar apps may keep it, but ask again (If-None-Match) every time


def _pid() -> int:
    return current_principal().professional_id


@bp.get("/calendar/feed")
@require_professional
def get_feed():
    """The professional's secret feed URL (https and webcal://)."""
    with unit_of_work() as uow:
        return dump(schemas.FeedRead, feed.get_feed(uow, professional_id=_pid()))


@bp.patch("/calendar/feed")
@require_professional
def update_feed():
    """Show full client names in event titles, or only initials (the default)."""
    feed_in = parse_body(schemas.FeedUpdate)
    with unit_of_work() as uow:
        return dump(schemas.FeedRead, feed.update_feed(uow, professional_id=_pid(), feed_in=feed_in))


@bp.post("/calendar/feed/rotate")
@require_professional
def rotate_feed():
    """Issue a new feed URL; the old one stops working at once."""
    with unit_of_work() as uow:
        return dump(schemas.FeedRead, feed.rotate_feed(uow, professional_id=_pid()))


@bp.get("/calendar/feed/<feed_token>.ics")
def read_feed(feed_token: str):
    """The feed itself (text/calendar), for calendar apps: no login, the token is the secret."""
    with unit_of_work() as uow:
        body, etag = feed.render_feed(uow, token=feed_token)
    response = Response(body, mimetype="text/calendar")
    response.set_etag(etag)
    response.headers["Cache-Control"] = FEED_CACHE_CONTROL
    return response.make_conditional(request)


@bp.get("/calendar/sources")
@require_professional
def list_sources():
    """The professional's calendar sources with their last sync, busy-interval count and last error."""
    limit, offset = page_params()
    with unit_of_work() as uow:
        rows, total = sources.get_all_sources(uow, professional_id=_pid(), limit=limit, offset=offset)
        return page(dump(schemas.SourceRead, rows, many=True), total, limit, offset)


@bp.post("/calendar/sources")
@require_professional
def create_source():
    """Add an ICS URL or a CalDAV calendar whose events make the professional busy."""
    source_in = parse_body(schemas.SourceCreate)
    with unit_of_work() as uow:
        source = sources.create_source(uow, professional_id=_pid(), source_in=source_in)
        return created(dump(schemas.SourceRead, source), f"/calendar/sources/{source.id}")


@bp.delete("/calendar/sources/<int:source_id>")
@require_professional
def delete_source(source_id: int):
    """Remove a calendar source and the busy time read from it."""
    with unit_of_work() as uow:
        sources.delete_source(uow, professional_id=_pid(), source_id=source_id)
    return no_content()


@bp.post("/calendar/sources/<int:source_id>/sync")
@require_professional
def sync_source(source_id: int):
    """Read the source now; the answer is the source with the outcome (last_error when it failed)."""
    with unit_of_work() as uow:
        return dump(schemas.SourceRead, sources.sync_now(uow, professional_id=_pid(), source_id=source_id))
