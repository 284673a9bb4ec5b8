"""The booking page inside the professional's own site: framed only by the origins they list."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select, update

from shared import models as m
from shared.db import unit_of_work


@pytest.fixture
def host_site(site):
    """The professional's own site on another origin (localhost, not 127.0.0.1): the documented snippet."""
    snippet = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            body = snippet["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://localhost:{server.server_port}"
    snippet["html"] = ('<!doctype html><html lang="en"><title>My practice</title><h1>My practice</h1>'
                       f'<iframe src="{site}/book/consulta-lucia" title="Book an appointment" '
                       'width="100%" height="1400" style="border:0"></iframe>')
    yield origin
    server.shutdown()


def _embed(origins: list[str]) -> None:
    with unit_of_work() as uow:
        uow.session.execute(update(m.ProfessionalSettings).values(embed_origins=origins))
        uow.commit()


def test_the_booking_page_books_inside_a_listed_site(browser, practice, host_site):
    professional, services = practice
    _embed(["https://www.example.com", host_site])
    browser.open(host_site)
    browser.driver.switch_to.frame(browser.find("iframe"))
    assert "Book an appointment with Consulta Lucía" in browser.text("h1")
    browser.click(f"label[for=service-{services[0].id}]")
    browser.click_text("Show free times")
    browser.wait_for("ul.slot-list li label").click()
    browser.type("#name", "Ana")
    browser.type("#email", "ana@example.com")
    browser.click_text("Book")
    browser.wait_for(".alert.success")
    assert "Your appointment is booked" in browser.text(".alert.success")
    assert browser.find("a[target=_blank]").get_attribute("href").startswith(browser.base + "/manage/")
    browser.driver.switch_to.default_content()
    with unit_of_work() as uow:
        assert uow.session.scalar(select(m.Appointment.status)) == m.AppointmentStatus.confirmed


def test_other_sites_and_other_pages_cannot_frame(browser, practice, host_site):
    _embed(["https://www.example.com"])
    browser.open(host_site)
    browser.driver.switch_to.frame(browser.find("iframe"))
    assert browser.driver.find_elements(By.CSS_SELECTOR, "main#main") == []
