"""A client books as a person would: in a real browser, in English and Spanish, by keyboard, on a phone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from selenium.webdriver.common.keys import Keys
from sqlalchemy import select

from tests.pages.browser import read_mail


def _appointments():
    """The committed appointments, as plain rows."""
    from shared.db import unit_of_work
    from shared.models import Appointment

    with unit_of_work() as uow:
        return list(uow.session.execute(select(
            Appointment.id, Appointment.service_id, Appointment.start_datetime, Appointment.status,
            Appointment.client_comment).order_by(Appointment.id)))


def test_book_end_to_end_then_manage_from_the_email(browser, practice):
    professional, services = practice
    browser.open("/book/consulta-lucia")
    assert browser.status() == 200
    assert "Book an appointment with Consulta Lucía" in browser.text("h1")
    browser.accessible()
    browser.click(f"label[for=service-{services[1].id}]")
    browser.click_text("Show free times")
    browser.wait_for("fieldset.slots")
    browser.accessible()
    browser.follow(browser.all("ul.days a")[2])  # a few days ahead, well outside the 24-hour policy window
    first_time = browser.find("ul.slot-list li label")
    chosen = first_time.text
    first_time.click()
    browser.type("#name", "Ana <i>Ruiz</i>")
    browser.type("#email", "ana@example.com")
    browser.type("#comment", "First time here.")
    browser.click_text("Book")
    browser.wait_for(".alert.success")
    assert browser.status() == 200
    assert "Your appointment is booked" in browser.text(".alert.success")
    assert "Seguimiento" in browser.text("dl.summary")
    assert chosen in browser.text("dl.summary")
    browser.accessible()
    [appointment] = _appointments()
    assert appointment.service_id == services[1].id and appointment.client_comment == "First time here."

    [confirmation] = read_mail("booking_confirmation")
    manage = next(link for link in confirmation.links if "/manage/" in link)
    browser.driver.delete_all_cookies()  # another device: the e-mail is all the client has
    browser.open(manage)
    assert browser.status() == 200
    assert "Your appointment" in browser.text("h1")
    assert "Ana <i>Ruiz</i>" not in browser.driver.page_source  # no client data on the manage page
    assert "You can cancel or change this appointment online until" in browser.text(".policy")


def test_a_held_booking_is_confirmed_from_the_emailed_link(browser, practice):
    professional, services = practice
    from shared.db import unit_of_work
    from shared.models import ProfessionalSettings

    with unit_of_work() as uow:  # as every account starts: bookings wait for the client's confirmation
        uow.session.execute(ProfessionalSettings.__table__.update().values(require_email_confirmation=True))
        uow.commit()
    browser.open(f"/book/consulta-lucia?service={services[0].id}")
    browser.follow(browser.all("ul.days a")[2])
    slot = browser.find("ul.slot-list li label")
    chosen = slot.text
    slot.click()
    browser.type("#name", "Ana Ruiz")
    browser.type("#email", "ana@example.com")
    browser.click_text("Book")
    browser.wait_for(".alert.success")
    assert "Check your email" in browser.text("h1")
    assert "open the link we have sent to ana@example.com before" in browser.text(".alert.success")
    assert chosen in browser.text("dl.summary")
    assert "Waiting for you to confirm it from your email" in browser.text("dl.summary")
    browser.accessible()
    assert [row.status.value for row in _appointments()] == ["held"]
    assert read_mail("booking_confirmation") == []

    [hold] = read_mail("booking_hold")
    confirm = next(link for link in hold.links if "/confirm/" in link)
    browser.driver.delete_all_cookies()  # another device: the e-mail is all the client has
    browser.open(confirm)
    assert browser.status() == 200
    assert "Confirm your booking" in browser.text("h1")
    browser.accessible()
    browser.click_text("Confirm my booking")
    browser.wait_for(".alert.success")
    assert "Your appointment is booked" in browser.text(".alert.success")
    assert "You can cancel or change this appointment online until" in browser.text(".policy")
    assert [row.status.value for row in _appointments()] == ["confirmed"]
    assert len(read_mail("booking_confirmation")) == 1 and len(read_mail("new_booking")) == 1
    browser.open(confirm)  # the link again: the booking's own page
    assert "Your appointment" in browser.text("h1")


def test_book_with_the_keyboard_only_in_spanish_at_360_px(browser, practice):
    professional, services = practice
    browser.width(360)
    browser.languages("es-ES,es;q=0.9")
    browser.open(f"/book/consulta-lucia?service={services[0].id}")
    assert browser.find("html").get_attribute("lang") == "es"
    assert "Reserva una cita con Consulta Lucía" in browser.text("h1")
    assert "60,00 €" in browser.text().replace("\xa0", " ")
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert browser.driver.execute_script("return document.documentElement.scrollWidth") <= 360
    browser.accessible()
    body = browser.find("body")
    body.send_keys(Keys.TAB)  # the skip link comes first
    assert browser.driver.switch_to.active_element.get_attribute("class") == "skip"
    # Tab to the first free time, then fill the form without a mouse.
    for _ in range(40):
        active = browser.driver.switch_to.active_element
        if active.get_attribute("name") == "start_datetime":
            break
        active.send_keys(Keys.TAB)
    else:
        raise AssertionError("the free times cannot be reached with the Tab key")
    active.send_keys(Keys.SPACE)
    start = active.get_attribute("value")
    assert active.is_selected()
    active.send_keys(Keys.TAB)
    browser.driver.switch_to.active_element.send_keys("Lucía Pérez")
    browser.driver.switch_to.active_element.send_keys(Keys.TAB, "lucia@example.com", Keys.ENTER)
    browser.wait_for(".alert.success")
    assert "Tu cita está reservada" in browser.text(".alert.success")
    browser.accessible()
    [appointment] = _appointments()
    assert appointment.start_datetime == dt.datetime.fromisoformat(start)


def test_errors_are_announced_and_tied_to_their_fields(browser, practice):
    professional, services = practice
    browser.open(f"/book/consulta-lucia?service={services[0].id}")
    browser.find("ul.slot-list li label").click()
    browser.type("#email", "not an email")
    browser.click_text("Book")
    browser.wait_for("#problems")
    assert browser.status() == 422
    assert browser.find("#problems").get_attribute("role") == "alert"
    assert browser.driver.switch_to.active_element.get_attribute("id") == "problems"
    email_field = browser.find("#email")
    assert email_field.get_attribute("aria-invalid") == "true"
    assert "email-error" in email_field.get_attribute("aria-describedby")
    assert "valid email address" in browser.text("#email-error")
    assert browser.find("#name").get_attribute("aria-invalid") == "true"
    browser.accessible()
    assert _appointments() == []


def test_times_follow_the_browser_time_zone(browser, practice):
    professional, services = practice
    browser.zone("America/Bogota")
    browser.open(f"/book/consulta-lucia?service={services[0].id}")
    browser.wait_for("#zone-note")
    # The script proposed the browser's zone; the page names it, and the professional's.
    assert "tz=America%2FBogota" in browser.driver.current_url
    note = browser.text("#zone-note")
    assert "America/Bogota" in note and "Europe/Madrid" in note
    # A day ahead, whose first time is the block's first: today's may have passed, or be within the notice.
    browser.follow(browser.all("ul.days a")[2])
    assert "tz=America%2FBogota" in browser.driver.current_url
    label = browser.find("ul.slot-list li label")
    slot_value = browser.find("ul.slot-list li input").get_attribute("value")
    start = dt.datetime.fromisoformat(slot_value)
    assert start.utcoffset() == dt.timedelta(hours=-5)
    # 09:00 in Madrid is 03:00 (winter) or 02:00 (summer) in Bogotá: the label is Bogotá's wall clock.
    madrid = start.astimezone(ZoneInfo("Europe/Madrid"))
    assert madrid.hour == 9 and label.text.startswith(("2:", "3:"))
    label.click()
    browser.type("#name", "Camilo")
    browser.type("#email", "camilo@example.com")
    browser.click_text("Book")
    browser.wait_for(".alert.success")
    assert "America/Bogota" in browser.text("#zone-note")
    [appointment] = _appointments()
    assert appointment.start_datetime == start
