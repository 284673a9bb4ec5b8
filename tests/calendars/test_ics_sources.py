"""ICS sources against a real HTTP server: recurrences, exceptions, all-day, free, other zones, DST."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.calendars.conftest import ics
from tests.calendars.personal_calendar import (
    DAY_SLOTS,
    EXPECTED_FREE,
    FIXTURE,
    MADRID,
    TUESDAY,
    A,
    C,
    offered_times,
)
from tests.factories import headers_for, make_professional


def _add(gateway, headers, url, **extra):
    response = gateway.post("/calendar/sources", json={"kind": "ics", "url": url, **extra}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


@pytest.mark.usefixtures("allow_loopback")
def test_slots_offered_are_exactly_those_left_free_by_the_calendar(gateway, ics_server, pro, pro_headers,
                                                                   hour_service):
    ics_server.files["/personal.ics"] = FIXTURE
    source = _add(gateway, pro_headers, ics_server.url("/personal.ics"))
    assert source["last_synced_at"] is None and source["busy_count"] == 0

    synced = gateway.post(f"/calendar/sources/{source['id']}/sync", headers=pro_headers)

    assert synced.status_code == 200, synced.json
    assert synced.json["last_error"] is None and synced.json["last_synced_at"] is not None
    assert synced.json["busy_count"] == 6  # 3 of the series (one moved), all-day, New York, UTC
    for day, free in EXPECTED_FREE.items():
        assert offered_times(gateway, pro_headers, hour_service, day) == free, day
    listed = gateway.get("/calendar/sources", headers=pro_headers).json
    assert listed["total"] == 1 and listed["items"][0]["busy_count"] == 6


@pytest.mark.usefixtures("allow_loopback")
def test_all_day_events_block_only_when_the_source_says_so(gateway, ics_server, pro, pro_headers,
                                                           hour_service):
    ics_server.files["/personal.ics"] = FIXTURE
    source = _add(gateway, pro_headers, ics_server.url("/personal.ics"), all_day_blocks=False)

    gateway.post(f"/calendar/sources/{source['id']}/sync", headers=pro_headers)

    assert offered_times(gateway, pro_headers, hour_service, TUESDAY) == DAY_SLOTS
    assert offered_times(gateway, pro_headers, hour_service, A) == EXPECTED_FREE[A]


@pytest.mark.usefixtures("allow_loopback")
def test_booking_rechecks_imported_busy_time(gateway, ics_server, pro, pro_headers, hour_service):
    ics_server.files["/personal.ics"] = FIXTURE
    source = _add(gateway, pro_headers, ics_server.url("/personal.ics"))
    gateway.post(f"/calendar/sources/{source['id']}/sync", headers=pro_headers)
    url = f"/public/professionals/{pro.public_slug}/appointments"

    def book(hour: int, email: str):
        start = dt.datetime.combine(A, dt.time(hour), MADRID).isoformat()
        return gateway.post(url, json={"service_id": hour_service.id, "start_datetime": start,
                                       "name": "Eva", "email": email})

    busy = book(15, "eva@example.com")
    assert busy.status_code == 409 and busy.json["type"].endswith("/slot-unavailable")
    assert book(10, "eva@example.com").status_code == 201  # the moved occurrence left 10:00 free


@pytest.mark.usefixtures("allow_loopback")
def test_a_second_sync_is_a_conditional_get(gateway, ics_server, pro, pro_headers, hour_service):
    ics_server.files["/personal.ics"] = FIXTURE
    source = _add(gateway, pro_headers, ics_server.url("/personal.ics"))
    gateway.post(f"/calendar/sources/{source['id']}/sync", headers=pro_headers)

    again = gateway.post(f"/calendar/sources/{source['id']}/sync", headers=pro_headers)

    first_headers, second_headers = ics_server.requests[0][1], ics_server.requests[1][1]
    assert "If-None-Match" not in first_headers
    assert second_headers["If-None-Match"].startswith('"')
    assert second_headers["If-Modified-Since"] == "Tue, 01 Dec 2026 10:00:00 GMT"
    assert again.json["busy_count"] == 6 and again.json["last_error"] is None
    assert offered_times(gateway, pro_headers, hour_service, C) == EXPECTED_FREE[C]

    ics_server.files["/personal.ics"] = ics()  # the calendar emptied: a new ETag, read whole
    emptied = gateway.post(f"/calendar/sources/{source['id']}/sync", headers=pro_headers)
    assert emptied.json["busy_count"] == 0
    assert offered_times(gateway, pro_headers, hour_service, C) == DAY_SLOTS


@pytest.mark.usefixtures("allow_loopback")
def test_deleting_a_source_frees_its_busy_time(gateway, ics_server, pro, pro_headers, hour_service):
    ics_server.files["/personal.ics"] = FIXTURE
    source = _add(gateway, pro_headers, ics_server.url("/personal.ics"))
    gateway.post(f"/calendar/sources/{source['id']}/sync", headers=pro_headers)

    assert gateway.delete(f"/calendar/sources/{source['id']}", headers=pro_headers).status_code == 204

    assert offered_times(gateway, pro_headers, hour_service, TUESDAY) == DAY_SLOTS
    assert gateway.delete(f"/calendar/sources/{source['id']}", headers=pro_headers).status_code == 404


@pytest.mark.usefixtures("allow_loopback")
def test_sources_belong_to_their_professional(gateway, uow, ics_server, pro, pro_headers):
    other = make_professional(uow.session, email="other-sources@example.com")
    uow.commit()
    source = _add(gateway, pro_headers, ics_server.url("/personal.ics"))
    theirs = headers_for(other)

    assert gateway.get("/calendar/sources", headers=theirs).json["total"] == 0
    assert gateway.post(f"/calendar/sources/{source['id']}/sync", headers=theirs).status_code == 404
    assert gateway.delete(f"/calendar/sources/{source['id']}", headers=theirs).status_code == 404
    assert gateway.get("/calendar/sources").status_code == 401


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "ics", "url": "ftp://calendar.example.com/a.ics"}, "url"),
    ({"kind": "ics", "url": "file:///etc/passwd"}, "url"),
    ({"kind": "ics", "url": "https://user:secret@calendar.example.com/a.ics"}, "url"),
    ({"kind": "ics", "url": "https://127.0.0.1/a.ics"}, "url"),
    ({"kind": "ics", "url": "https://[::1]/a.ics"}, "url"),
    ({"kind": "ics", "url": "https://169.254.169.254/latest/meta-data"}, "url"),
    ({"kind": "ics", "url": "https://10.1.2.3/a.ics"}, "url"),
    ({"kind": "ics", "url": "https://calendar.example.com/a.ics", "password": "x"}, "password"),
    ({"kind": "caldav", "url": "https://dav.example.com/cal/", "username": "me"}, "password"),
    ({"kind": "outlook", "url": "https://calendar.example.com/a.ics"}, "kind"),
    ({"kind": "ics"}, "url"),
    ({"kind": "ics", "url": "https://calendar.example.com/a.ics", "all_day_blocks": "no"}, "all_day_blocks"),
])
def test_bad_sources_are_422_naming_the_field(gateway, pro, pro_headers, body, field):
    response = gateway.post("/calendar/sources", json=body, headers=pro_headers)

    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert gateway.get("/calendar/sources", headers=pro_headers).json["total"] == 0


def test_webcal_urls_are_read_over_https_and_sources_are_capped(gateway, pro, pro_headers):
    first = _add(gateway, pro_headers, "webcal://p01-calendars.icloud.example/published/2/abc")
    assert first["url"] == "https://p01-calendars.icloud.example/published/2/abc"
    for n in range(9):
        _add(gateway, pro_headers, f"https://calendar.example.com/{n}.ics")

    refused = gateway.post("/calendar/sources", json={"kind": "ics", "url": "https://calendar.example.com/x"},
                           headers=pro_headers)

    assert refused.status_code == 409 and refused.json["type"].endswith("/too-many-calendar-sources")
