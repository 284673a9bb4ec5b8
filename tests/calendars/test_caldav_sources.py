"""CalDAV sources against a real Radicale server: the same calendar, the same slots as from an ICS file."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import caldav
import pytest
from icalendar import Calendar
from sqlalchemy import text

from tests.calendars.personal_calendar import EXPECTED_FREE, FIXTURE, offered_times

USER, PASSWORD = "dr.test", "app-password-4f9c2e"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def radicale():
    """Radicale on a free loopback port, with htpasswd users and storage in a temporary folder.

    Radicale's defaults (auth `denyall`, storage in /var/lib/radicale, port 5232 on localhost) are all
    overridden here; rights stay `owner_only`, so a user reads only their own calendars.
    """
    folder = Path(tempfile.mkdtemp(prefix="agenda-radicale-"))
    (folder / "users").write_text(f"{USER}:{PASSWORD}\n")
    port = _free_port()
    config = folder / "config"
    config.write_text(f"""
[server]
hosts = 127.0.0.1:{port}
[auth]
type = htpasswd
htpasswd_filename = {folder / "users"}
# A test-only server: plain entries keep the fixture free of a hashing dependency.
htpasswd_encryption = plain
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = {folder / "collections"}
[web]
type = none
[logging]
level = warning
""")
    log = open(folder / "radicale.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(config)],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError((folder / "radicale.log").read_text()[-2000:])
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("Radicale did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def work_calendar(radicale) -> str:
    """The user's calendar on Radicale holding the personal calendar's events, one resource per UID."""
    with caldav.DAVClient(url=radicale, username=USER, password=PASSWORD) as client:
        calendar = client.principal().make_calendar(name="Work", cal_id="work")
        source = Calendar.from_ical(FIXTURE)
        by_uid: dict[str, Calendar] = {}
        for event in source.walk("VEVENT"):
            resource = by_uid.setdefault(str(event["UID"]), Calendar())
            if not resource.get("VERSION"):
                resource.add("version", "2.0")
                resource.add("prodid", "-//Agenda tests//EN")
            resource.add_component(event)
        for resource in by_uid.values():
            calendar.save_event(resource.to_ical().decode())
        return str(calendar.url)


def _add(gateway, headers, url, password=PASSWORD):
    response = gateway.post("/calendar/sources", json={"kind": "caldav", "url": url, "username": USER,
                                                       "password": password}, headers=headers)
    assert response.status_code == 201, response.json
    assert "password" not in response.json and response.json["username"] == USER
    return response.json


@pytest.mark.usefixtures("allow_loopback")
def test_slots_leave_out_the_caldav_calendars_busy_time(gateway, work_calendar, pro, pro_headers,
                                                        hour_service, caplog):
    caplog.set_level(logging.DEBUG)
    source = _add(gateway, pro_headers, work_calendar)

    synced = gateway.post(f"/calendar/sources/{source['id']}/sync", headers=pro_headers)

    assert synced.status_code == 200 and synced.json["last_error"] is None, synced.json
    assert synced.json["busy_count"] == 6
    for day, free in EXPECTED_FREE.items():
        assert offered_times(gateway, pro_headers, hour_service, day) == free, day
    assert PASSWORD not in caplog.text


def test_the_password_is_stored_encrypted(gateway, db_engine, pro, pro_headers):
    source = _add(gateway, pro_headers, "https://caldav.example.com/dav/calendars/me/work/")

    with db_engine.connect() as conn:
        stored = conn.execute(text("SELECT password_encrypted FROM calendar_sources WHERE id = :id"),
                              {"id": source["id"]}).scalar_one()

    assert PASSWORD not in stored and stored.startswith("v1:")


@pytest.mark.usefixtures("allow_loopback")
def test_a_wrong_password_or_calendar_is_reported(gateway, radicale, work_calendar, pro, pro_headers):
    wrong = _add(gateway, pro_headers, work_calendar, password="not-the-password")
    missing = _add(gateway, pro_headers, f"{radicale}/{USER}/no-such-calendar/")

    bad_login = gateway.post(f"/calendar/sources/{wrong['id']}/sync", headers=pro_headers).json
    no_calendar = gateway.post(f"/calendar/sources/{missing['id']}/sync", headers=pro_headers).json

    assert bad_login["last_error"] == "The CalDAV server refused the user name or password."
    assert no_calendar["last_error"] is not None and no_calendar["busy_count"] == 0
