"""Fixtures for the pages: a bookable practice (every day 09:00-13:00 in Madrid), the site on a real HTTP
server, and a real Chromium."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import threading

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from sqlalchemy import select

from tests.factories import make_block, make_professional, make_service
from tests.pages.browser import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS, Browser

TOKEN_IN_PATH = re.compile(r"/manage/([A-Za-z0-9_-]{43})")


@pytest.fixture
def practice(uow):
    """A professional with two services and free mornings every day; returns (professional, services)."""
    professional = make_professional(uow.session, email="pro@example.com", business_name="Consulta Lucía",
                                     public_slug="consulta-lucia", minimum_notice_minutes=60)
    professional.bio = "Psicología clínica <b>sin</b> esperas."
    services = [make_service(uow.session, professional, name="Primera visita", duration_minutes=60,
                             price="60.00"),
                make_service(uow.session, professional, name="Seguimiento", duration_minutes=45,
                             price="45.50")]
    for weekday in range(7):
        make_block(uow.session, professional, weekday=weekday, start="09:00", end="13:00")
    uow.commit()
    return professional, services


def outbox(session, kind: str | None = None):
    """The committed outbox rows (optionally of one kind), oldest first."""
    from shared.models import Notification

    session.expire_all()
    query = select(Notification).order_by(Notification.id)
    if kind:
        query = query.where(Notification.type == kind)
    return list(session.scalars(query))


def tomorrow_madrid() -> dt.date:
    from zoneinfo import ZoneInfo

    return (dt.datetime.now(ZoneInfo("Europe/Madrid")) + dt.timedelta(days=1)).date()


@pytest.fixture(scope="session")
def site(db_url):
    """The gateway with every function, served over real HTTP on an ephemeral port."""
    from werkzeug.serving import make_server

    from shared.localdev.gateway import create_gateway

    server = make_server("127.0.0.1", 0, create_gateway(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="agenda-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1280,900")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(chromium, site, monkeypatch):
    """A clean browser (no cookies, desktop width, Madrid time, English) on the test server; e-mail
    links point at that server."""
    from shared.config import reset_settings

    monkeypatch.setenv("PUBLIC_BASE_URL", site)
    reset_settings()
    chromium.delete_all_cookies()
    chromium.set_window_size(1280, 900)
    page = Browser(chromium, site)
    page.zone("Europe/Madrid")
    page.languages("en-US,en;q=0.9")
    yield page
    chromium.get("about:blank")




@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test reports where the browser was and what it showed."""
    report = yield
    page = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if report.failed and call.when == "call" and isinstance(page, Browser):
        try:
            shown = page.driver.execute_script("return document.body ? document.body.innerText : ''")
            report.sections.append(("browser", f"{page.driver.current_url}\n{shown[:3000]}"))
        except Exception as exc:  # the browser itself may be what failed
            report.sections.append(("browser", f"unavailable: {exc}"))
    return report
