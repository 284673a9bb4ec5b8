"""Fixtures for appointment tests: a bookable professional, fresh units of work, and a live HTTP server."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parents[2]
MADRID = ZoneInfo("Europe/Madrid")
# A fixed "now" for service-level tests: Monday 2030-06-03 08:00 in Madrid (UTC+2).
NOW = dt.datetime(2030, 6, 3, 8, 0, tzinfo=MADRID)


def madrid(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=MADRID)


@pytest.fixture
def run(db_url):
    """Call a service function in its own unit of work, as a handler does."""
    from shared.db import unit_of_work

    def call(function, **kwargs):
        with unit_of_work() as work:
            return function(work, **kwargs)

    return call


@pytest.fixture
def count(db_url):
    """How many committed rows of a model match the given column values."""
    from shared.db import unit_of_work

    def counter(model, **where) -> int:
        with unit_of_work() as work:
            query = select(func.count()).select_from(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return work.session.scalar(query)

    return counter


@pytest.fixture
def rows(db_url):
    """The committed rows of a model matching the given column values, ordered by id."""
    from shared.db import unit_of_work

    def fetch(model, **where) -> list:
        with unit_of_work() as work:
            query = select(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            found = list(work.session.scalars(query.order_by(model.id)))
            work.session.expunge_all()  # detached but loaded: the closing rollback would expire them
            return found

    return fetch


@pytest.fixture
def service(uow, professional):
    """A 60-minute active service of the professional."""
    from tests.factories import make_service

    made = make_service(uow.session, professional, name="Therapy", duration_minutes=60)
    uow.commit()
    return made


@pytest.fixture
def client(uow, professional):
    """An existing client of the professional."""
    from tests.factories import make_client

    made = make_client(uow.session, professional, name="Ana Client", email="ana@example.com",
                       phone="+34 600 000 001")
    uow.commit()
    return made


@pytest.fixture
def weekday_blocks(uow, professional):
    """09:00-13:00 every weekday (Madrid wall-clock time)."""
    from tests.factories import make_block

    for day in range(5):
        make_block(uow.session, professional, weekday=day, start="09:00", end="13:00")
    uow.commit()


@pytest.fixture
def headers(professional):
    from tests.factories import headers_for

    return headers_for(professional)


@pytest.fixture
def http(db_url):
    """A werkzeug client of the local gateway (every function, routed as in production)."""
    from werkzeug.test import Client

    from shared.localdev.gateway import create_gateway

    return Client(create_gateway())


def future_weekday(days_ahead: int = 7, weekday: int = 1) -> dt.date:
    """A date at least `days_ahead` days from today (real clock) falling on `weekday` (1 = Tuesday)."""
    day = dt.date.today() + dt.timedelta(days=days_ahead)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return day


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), MADRID)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(db_url):
    """The local gateway served by gunicorn in a subprocess on a free port: real HTTP, real concurrency.

    The environment is the test suite's, with TRUSTED_PROXY_COUNT=1 as in production (the local gateway
    plays nginx, which sets X-Forwarded-For to the peer address): a test that needs many client addresses
    connects from different loopback addresses (127.0.x.y).
    """
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="agenda-live-", suffix=".log", delete=False)
    env = {**os.environ, "TRUSTED_PROXY_COUNT": "1", "PYTHONPATH": str(REPO)}
    # Sync workers, as in the function images, but eight of them: eight transactions truly at once.
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "8",
               "--timeout", "60", "--graceful-timeout", "3", "--no-control-socket",
               "shared.localdev.gateway:create_gateway()"]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {Path(log.name).read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    output = Path(log.name).read_text()[-3000:]
                    raise RuntimeError(f"gunicorn did not start: {output}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)  # quick shutdown: the workers are idle by now
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        Path(log.name).unlink(missing_ok=True)
