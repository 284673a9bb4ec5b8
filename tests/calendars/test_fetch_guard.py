"""Fetching user-supplied calendar URLs: only public http(s) addresses, re-checked on redirects, bounded."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from shared.calendars import fetch
from shared.config import reset_settings
from tests.calendars.conftest import ics, stamp

_SOON = dt.datetime.now(dt.UTC).replace(hour=10, minute=0, second=0, microsecond=0) + dt.timedelta(days=7)
EVENT = f"UID:e@example.com\nDTSTART:{stamp(_SOON)}\nDTEND:{stamp(_SOON + dt.timedelta(hours=1))}"


def _sync(gateway, headers, url):
    created = gateway.post("/calendar/sources", json={"kind": "ics", "url": url}, headers=headers)
    assert created.status_code == 201, created.json
    response = gateway.post(f"/calendar/sources/{created.json['id']}/sync", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_a_host_name_resolving_to_loopback_is_refused_before_connecting(gateway, ics_server, pro,
                                                                        pro_headers):
    ics_server.files["/a.ics"] = ics(EVENT)

    result = _sync(gateway, pro_headers, ics_server.url("/a.ics").replace("127.0.0.1", "localhost"))

    assert "not public" in result["last_error"] and result["last_synced_at"] is None
    assert ics_server.requests == []


def test_the_allowlist_admits_a_host_by_name(gateway, ics_server, pro, pro_headers, monkeypatch):
    monkeypatch.setenv("CALENDAR_SOURCE_ALLOWED_HOSTS", "calendar.intranet, localhost")
    reset_settings()
    ics_server.files["/a.ics"] = ics(EVENT)

    result = _sync(gateway, pro_headers, ics_server.url("/a.ics").replace("127.0.0.1", "localhost"))

    assert result["last_error"] is None and result["busy_count"] == 1


@pytest.mark.usefixtures("allow_loopback")
def test_redirects_are_checked_again(gateway, ics_server, pro, pro_headers):
    port = ics_server.base.rsplit(":", 1)[1]
    ics_server.redirects["/inside"] = f"http://127.0.0.2:{port}/a.ics"  # loopback, not allowlisted
    ics_server.redirects["/file"] = "file:///etc/passwd"
    ics_server.redirects["/loop"] = "/loop"
    ics_server.redirects["/moved"] = "/a.ics"
    ics_server.files["/a.ics"] = ics(EVENT)

    assert "not public" in _sync(gateway, pro_headers, ics_server.url("/inside"))["last_error"]
    assert "not http or https" in _sync(gateway, pro_headers, ics_server.url("/file"))["last_error"]
    assert "redirects" in _sync(gateway, pro_headers, ics_server.url("/loop"))["last_error"]
    assert _sync(gateway, pro_headers, ics_server.url("/moved"))["busy_count"] == 1
    assert [path for path, _ in ics_server.requests].count("/a.ics") == 1


@pytest.mark.usefixtures("allow_loopback")
def test_size_and_time_are_bounded(gateway, ics_server, pro, pro_headers, monkeypatch):
    monkeypatch.setenv("CALENDAR_SOURCE_MAX_BYTES", "2048")
    monkeypatch.setenv("CALENDAR_SOURCE_TIMEOUT_SECONDS", "1")
    reset_settings()
    ics_server.files["/big.ics"] = ics(*[EVENT.replace("e@", f"e{n}@") for n in range(100)])
    ics_server.files["/slow.ics"] = ics(EVENT)
    ics_server.delays["/slow.ics"] = 2.5

    assert "larger than 2048 bytes" in _sync(gateway, pro_headers, ics_server.url("/big.ics"))["last_error"]
    assert "in time" in _sync(gateway, pro_headers, ics_server.url("/slow.ics"))["last_error"]


@pytest.mark.usefixtures("allow_loopback")
def test_server_errors_and_garbage_are_reported_not_raised(gateway, ics_server, pro, pro_headers):
    ics_server.statuses["/gone.ics"] = 500
    ics_server.files["/junk.ics"] = b"<html>Not a calendar</html>"

    assert _sync(gateway, pro_headers, ics_server.url("/gone.ics"))["last_error"] == (
        "The calendar server answered 500.")
    assert "could not be read" in _sync(gateway, pro_headers, ics_server.url("/junk.ics"))["last_error"]


@pytest.mark.usefixtures("allow_loopback")
def test_the_secret_url_never_reaches_the_logs(gateway, ics_server, pro, pro_headers, caplog):
    secret = "/calendar/ical/me/private-7f3a9c0d2b/basic.ics"
    ics_server.redirects[secret] = "/nowhere-secret-2"
    caplog.set_level(logging.DEBUG)

    result = _sync(gateway, pro_headers, ics_server.url(secret))

    assert result["last_error"] == "The calendar server answered 404."
    assert "private-7f3a9c0d2b" not in caplog.text and "nowhere-secret-2" not in caplog.text


@pytest.mark.parametrize("url", ["http://[::ffff:127.0.0.1]/a.ics", "http://100.64.0.1/a.ics",
                                 "http://0.0.0.0/a.ics", "http://[fe80::1]/a.ics", "http://224.0.0.1/a.ics"])
def test_addresses_that_are_not_public_are_refused(url, monkeypatch):
    monkeypatch.setenv("CALENDAR_SOURCE_ALLOWED_HOSTS", "")
    reset_settings()
    with pytest.raises(fetch.AddressRefused):
        fetch.check_url(url)
