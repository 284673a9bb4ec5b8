"""A failing source never breaks booking: its last good busy time is used for a while, then it is flagged."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared.calendars.sources import sync_source
from shared.db import unit_of_work
from shared.jobs import tasks
from shared.jobs.instance import huey
from shared.models import CalendarBusyInterval, CalendarSource, Notification
from shared.notifications.context import Skip, build_letter
from shared.notifications.render import render_email
from tests.calendars.conftest import ics, stamp

START = (dt.datetime.now(dt.UTC) + dt.timedelta(days=5)).replace(hour=9, minute=0, second=0, microsecond=0)
EVENT = f"UID:x@example.com\nDTSTART:{stamp(START)}\nDTEND:{stamp(START + dt.timedelta(hours=2))}"


def _source(gateway, headers, url) -> int:
    response = gateway.post("/calendar/sources", json={"kind": "ics", "url": url}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def _state(source_id):
    with unit_of_work() as uow:
        source = uow.session.get(CalendarSource, source_id)
        spans = uow.session.scalars(select(CalendarBusyInterval.start_datetime)
                                    .where(CalendarBusyInterval.source_id == source_id)).all()
        flagged = uow.session.scalars(select(Notification).where(
            Notification.type == "calendar_source_flagged")).all()
        uow.session.expunge_all()  # detached as loaded: leaving the unit of work would expire them
        return source, spans, flagged


@pytest.mark.usefixtures("allow_loopback")
def test_last_good_data_is_kept_then_the_source_is_flagged_and_the_professional_emailed_once(
        gateway, ics_server, pro, pro_headers):
    ics_server.files["/cal.ics"] = ics(EVENT)
    source_id = _source(gateway, pro_headers, ics_server.url("/cal.ics"))
    t0 = dt.datetime.now(dt.UTC)
    assert sync_source(source_id, now=t0).busy_count == 1
    ics_server.statuses["/cal.ics"] = 503  # the calendar server breaks

    failed = sync_source(source_id, now=t0 + dt.timedelta(hours=23))
    source, spans, flagged = _state(source_id)
    assert failed.last_error == "The calendar server answered 503."
    assert spans == [START] and source.flagged_at is None and flagged == []  # still blocking

    sync_source(source_id, now=t0 + dt.timedelta(hours=25))  # past CALENDAR_SOURCE_STALE_HOURS (24)
    sync_source(source_id, now=t0 + dt.timedelta(hours=26))
    source, spans, flagged = _state(source_id)
    assert spans == [] and source.busy_count == 0 and source.flagged_at is not None
    assert [(n.type, n.recipient) for n in flagged] == [("calendar_source_flagged", "cal@example.com")]
    with unit_of_work() as uow:
        letter = build_letter(uow.session, flagged[0], now=t0, public_base_url="https://app.agenda.example")
    email = render_email(letter.kind, letter.locale, letter.context)
    assert "127.0.0.1" in email.subject and "/cal.ics" not in email.text and "503" in email.text

    del ics_server.statuses["/cal.ics"]  # repaired: the flag clears, the busy time is back
    recovered = sync_source(source_id, now=t0 + dt.timedelta(hours=27))
    assert recovered.flagged_at is None and recovered.last_error is None and recovered.busy_count == 1
    with unit_of_work() as uow, pytest.raises(Skip):
        build_letter(uow.session, flagged[0], now=t0, public_base_url="https://app.agenda.example")


@pytest.mark.usefixtures("allow_loopback")
def test_the_scheduled_job_syncs_every_source(gateway, ics_server, pro, pro_headers):
    ics_server.files["/a.ics"] = ics(EVENT)
    first = _source(gateway, pro_headers, ics_server.url("/a.ics"))
    second = _source(gateway, pro_headers, ics_server.url("/missing.ics"))
    huey.flush()

    assert tasks.sync_calendar_sources.call_local() == 2  # the periodic tick, as the consumer runs it
    for _ in range(2):
        task = huey.dequeue()
        huey.execute(task)

    assert _state(first)[0].busy_count == 1 and _state(first)[0].last_synced_at is not None
    assert _state(second)[0].last_error == "The calendar server answered 404."
