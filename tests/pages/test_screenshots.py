"""A picture of each page and state, as a client (or the professional) sees it.

`make screenshots` runs this test with SCREENSHOTS_DIR=docs/screenshots (shown in README); in the suite it
writes to a temporary folder and checks that every picture was taken.
"""

from __future__ import annotations

import datetime as dt
import os
import struct
from pathlib import Path

import httpx
from sqlalchemy import update

from shared import models as m
from shared.db import unit_of_work
from tests.accounts.helpers import run_queued_jobs
from tests.pages.browser import read_mail
from tests.pages.flows import book

DESKTOP, PHONE = 1024, 360
STATES = ("book-services", "book-times", "book-errors", "book-phone", "booked", "manage", "reschedule",
          "cancelled", "manage-window-passed", "held", "confirm", "request-sent", "request-accept",
          "request-accepted", "reset-password", "reset-password-error", "reset-password-done", "link-gone",
          "not-found")


def _png_width(path: Path) -> int:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", header[16:20])[0]


def test_a_screenshot_of_every_page_and_state(browser, practice, site, tmp_path):
    professional, services = practice
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    taken = {}

    def shot(name: str, width: int = DESKTOP) -> None:
        browser.driver.set_window_size(width, 800)
        height = browser.driver.execute_script("return document.documentElement.scrollHeight")
        browser.driver.set_window_size(width, min(max(height + 140, 600), 4000))
        path = folder / f"{name}.png"
        browser.driver.save_screenshot(str(path))
        taken[name] = width

    browser.languages("es-ES,es;q=0.9")
    browser.open("/book/consulta-lucia")
    shot("book-services")
    browser.open(f"/book/consulta-lucia?service={services[0].id}")
    shot("book-times")
    browser.click_text("Reservar")
    browser.wait_for("#problems")
    shot("book-errors")
    browser.languages("en-US,en;q=0.9")
    browser.open(f"/book/consulta-lucia?service={services[1].id}")
    browser.follow(browser.all("ul.days a")[2])
    browser.find("ul.slot-list li label").click()
    browser.type("#name", "Ana Ruiz")
    browser.type("#email", "ana@example.com")
    shot("book-phone", PHONE)
    browser.click_text("Book")
    browser.wait_for(".alert.success")
    shot("booked")
    manage = browser.driver.current_url.split("?")[0]
    browser.open(manage)
    shot("manage")
    browser.click_text("Change the time")
    browser.wait_for("fieldset.slots")
    shot("reschedule")
    browser.open(manage)
    browser.click_text("Cancel the appointment")
    browser.wait_for(".alert.success")
    shot("cancelled")

    soon = book("consulta-lucia", services[0].id, days_ahead=4, email="soon@example.com")
    start = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    with unit_of_work() as uow:
        uow.session.execute(update(m.Appointment).where(m.Appointment.id == soon.id).values(
            start_datetime=start, end_datetime=start + dt.timedelta(hours=1)))
        uow.commit()
    browser.open(f"/manage/{soon.cancellation_token}")
    shot("manage-window-passed")

    with unit_of_work() as uow:  # every account's default: bookings wait for the client's confirmation
        uow.session.execute(update(m.ProfessionalSettings).values(require_email_confirmation=True))
        uow.commit()
    browser.open(f"/book/consulta-lucia?service={services[0].id}")
    browser.follow(browser.all("ul.days a")[3])
    browser.find("ul.slot-list li label").click()
    browser.type("#name", "Luis Mora")
    browser.type("#email", "luis@example.com")
    browser.click_text("Book")
    browser.wait_for(".alert.success")
    shot("held")
    [hold] = read_mail("booking_hold")
    browser.open(next(link for link in hold.links if "/confirm/" in link))
    shot("confirm")

    with unit_of_work() as uow:
        uow.session.execute(update(m.ProfessionalSettings).values(allow_public_booking=False))
        uow.commit()
    requested = book("consulta-lucia", services[0].id, days_ahead=5, email="marta@example.com",
                     name="Marta Gil")
    browser.open(f"/manage/{requested.request_token}?done=requested")
    shot("request-sent")
    [new_request] = read_mail("request_received_professional")
    browser.open(next(link for link in new_request.links if "/accept/" in link))
    shot("request-accept")
    browser.click_text("Accept the request")
    browser.wait_for(".alert.success")
    shot("request-accepted")

    httpx.post(f"{site}/auth/forgot-password", json={"email": "pro@example.com"}).raise_for_status()
    run_queued_jobs("start_password_reset")  # the consumer's part
    [reset] = read_mail("password_reset")
    link = next(link for link in reset.links if "/reset-password" in link)
    browser.open(link)
    shot("reset-password", PHONE)
    browser.type("#password", "password")
    browser.type("#password_again", "password")
    browser.click_text("Change password")
    browser.wait_for("#problems")
    shot("reset-password-error", PHONE)
    browser.type("#password", "a long and new secret")
    browser.type("#password_again", "a long and new secret")
    browser.click_text("Change password")
    browser.wait_for(".alert.success")
    shot("reset-password-done", PHONE)
    browser.open(link)
    shot("link-gone", PHONE)
    browser.open("/book/nobody-by-this-name")
    shot("not-found", PHONE)

    assert tuple(taken) == STATES
    for name, width in taken.items():
        assert _png_width(folder / f"{name}.png") == width, name
