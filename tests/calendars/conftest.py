"""Calendar fixtures: a local HTTP server serving ICS files with ETags, and a professional taking bookings."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import headers_for, make_block, make_professional, make_service


@dataclass
class IcsServer:
    """Serves `files` (path -> body) with strong ETags and Last-Modified, answering If-None-Match with 304.

    `redirects` maps a path to a Location; `delays` a path to seconds to wait before answering; every
    request is recorded as (path, headers).
    """

    base: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


def _handler(state: IcsServer):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            state.requests.append((self.path, dict(self.headers)))
            time.sleep(state.delays.get(self.path, 0))
            if self.path in state.redirects:
                self.send_response(302)
                self.send_header("Location", state.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path in state.statuses:
                self.send_response(state.statuses[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = state.files.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def ics_server():
    """A real HTTP server on a free loopback port, stopped after the test."""
    state = IcsServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def allow_loopback(monkeypatch):
    """CALENDAR_SOURCE_ALLOWED_HOSTS=127.0.0.1, as a test or an intranet deployment sets it."""
    from shared.config import reset_settings

    monkeypatch.setenv("CALENDAR_SOURCE_ALLOWED_HOSTS", "127.0.0.1")
    reset_settings()


@pytest.fixture
def pro(uow):
    """A Madrid professional taking bookings a year ahead without notice, Monday to Friday 09:00-18:00."""
    professional = make_professional(uow.session, email="cal@example.com", public_slug="cal-practice",
                                     booking_advance_days=365, minimum_notice_minutes=0)
    for weekday in range(5):
        make_block(uow.session, professional, weekday=weekday, start="09:00", end="18:00")
    uow.commit()
    return professional


@pytest.fixture
def pro_headers(pro):
    return headers_for(pro)


@pytest.fixture
def hour_service(uow, pro):
    service = make_service(uow.session, pro, name="Therapy", duration_minutes=60)
    uow.commit()
    return service


def ics(*events: str, extra: str = "") -> bytes:
    """A VCALENDAR around the given VEVENT bodies (CRLF line ends, as RFC 5545 has them)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Agenda tests//EN", *extra.split("\n")]
    for body in events:
        lines += ["BEGIN:VEVENT", *body.strip().split("\n"), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(line.strip() for line in lines if line.strip()) + "\r\n").encode()


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
