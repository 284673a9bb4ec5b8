"""From the e-mail to the page, in a real browser: manage (reschedule, cancel), reset a password, and
accept a request as the professional."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from shared import models as m
from shared.db import unit_of_work
from tests.accounts.helpers import run_queued_jobs
from tests.factories import DEFAULT_PASSWORD
from tests.pages.browser import read_mail
from tests.pages.flows import book


def _rows(*columns):
    with unit_of_work() as uow:
        return list(uow.session.execute(select(*columns)))


def _link(mail, fragment: str) -> str:
    return next(link for link in mail.links if fragment in link)


def test_reschedule_then_cancel_from_the_confirmation_email(browser, practice):
    professional, services = practice
    booked = book("consulta-lucia", services[0].id, days_ahead=3)
    [confirmation] = read_mail("booking_confirmation")
    browser.open(_link(confirmation, "/manage/"))
    assert browser.status() == 200
    browser.accessible()
    browser.click_text("Change the time")
    browser.wait_for("fieldset.slots")
    browser.accessible()
    browser.follow(browser.all("ul.days a")[-1])  # a later day with free times
    browser.wait_for("ul.slot-list")
    new_time = browser.find("ul.slot-list li input").get_attribute("value")
    browser.find("ul.slot-list li label").click()
    browser.click_text("Move my appointment")
    browser.wait_for(".alert.success")
    assert "Your appointment has been moved." in browser.text(".alert.success")
    browser.accessible()
    [(start,)] = _rows(m.Appointment.start_datetime)
    assert start.isoformat() != booked.start_datetime.isoformat()
    assert start.astimezone(booked.start_datetime.tzinfo).isoformat() == new_time
    assert [mail.kind for mail in read_mail() if mail.kind.startswith("rescheduled")] == [
        "rescheduled", "rescheduled_professional"]

    browser.click_text("Cancel the appointment")
    # The page still shows the move's notice until the cancellation's answer replaces it.
    browser.wait_for_text(".alert.success", "Your appointment has been cancelled.")
    assert "Cancelled by you" in browser.text("dl.summary")
    browser.accessible()
    assert _rows(m.Appointment.status) == [(m.AppointmentStatus.cancelled_by_client,)]


def test_reset_a_password_from_the_email(browser, practice, site):
    httpx.post(f"{site}/auth/forgot-password", json={"email": "pro@example.com"}).raise_for_status()
    run_queued_jobs("start_password_reset")  # the consumer's part
    [mail] = read_mail("password_reset")
    link = _link(mail, "/reset-password?token=")
    browser.open(link)
    assert browser.status() == 200
    browser.accessible()
    browser.type("#password", "short")
    browser.type("#password_again", "short")
    browser.click_text("Change password")
    browser.wait_for("#problems")
    assert browser.status() == 422
    assert "Use at least 10 characters." in browser.text("#password-error")
    browser.accessible()
    browser.type("#password", "a new and long secret")
    browser.type("#password_again", "a new and long secret")
    browser.click_text("Change password")
    browser.wait_for(".alert.success")
    assert "Your password has been changed" in browser.text("h1")
    browser.accessible()
    login = httpx.post(f"{site}/auth/login",
                       json={"email": "pro@example.com", "password": "a new and long secret"})
    assert login.status_code == 200
    old = httpx.post(f"{site}/auth/login", json={"email": "pro@example.com", "password": DEFAULT_PASSWORD})
    assert old.status_code == 401
    # The link works once: opened again, it is gone.
    browser.open(link)
    assert browser.status() == 410
    assert "This link is no longer valid" in browser.text("h1")
    browser.accessible()


def test_accept_a_request_from_the_professionals_email(browser, practice):
    professional, services = practice
    with unit_of_work() as uow:
        uow.session.execute(m.ProfessionalSettings.__table__.update().values(allow_public_booking=False))
        uow.commit()
    browser.open(f"/book/consulta-lucia?service={services[0].id}")
    assert "confirms each request personally" in browser.text(".profile")
    browser.find("ul.slot-list li label").click()
    browser.type("#name", "Marta <script>alert(1)</script>")
    browser.type("#email", "marta@example.com")
    browser.click_text("Send request")
    browser.wait_for(".alert.success")
    assert "Your request has been received." in browser.text(".alert.success")
    assert "Waiting for an answer" in browser.text("dl.summary")
    browser.accessible()

    [new_request] = read_mail("request_received_professional")
    accept = _link(new_request, "/accept/")
    browser.driver.delete_all_cookies()
    browser.open(accept)
    assert browser.status() == 200
    assert "Accept this request?" in browser.text("h1")
    assert "Marta <script>alert(1)</script>" in browser.text("dl.summary")  # shown as text, never run
    browser.accessible()
    assert _rows(m.Appointment.id) == []  # opening the link changes nothing
    browser.click_text("Accept the request")
    browser.wait_for(".alert.success")
    assert "Request accepted" in browser.text("h1")
    browser.accessible()
    assert _rows(m.AppointmentRequest.status) == [(m.RequestStatus.accepted,)]
    assert len(_rows(m.Appointment.id)) == 1
    # Acting once: the same link (or the decline one) now says the request was answered.
    browser.open(accept)
    assert browser.status() == 410
    browser.open(_link(new_request, "/decline/"))
    assert browser.status() == 410
    # The client's e-mail leads to the confirmed appointment.
    [accepted] = read_mail("request_accepted")
    browser.open(_link(accepted, "/manage/"))
    assert "Confirmed" in browser.text("dl.summary")
