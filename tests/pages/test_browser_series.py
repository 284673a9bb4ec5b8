"""From a series' confirmation e-mail to the manage page, in a real browser: the e-mail tells of the
series, and the page cancels this and the following sessions where the professional allows it."""

from __future__ import annotations

from sqlalchemy import select

from shared import models as m
from shared.db import unit_of_work
from tests.pages.browser import read_mail
from tests.pages.flows import series


def test_cancel_the_rest_of_a_series_from_its_confirmation_email(browser, practice, uow):
    professional, services = practice
    series(uow, professional, services[0], allow=True)
    [confirmation] = read_mail("booking_confirmation")  # one e-mail for the whole series
    assert "Serie semanal: 4 sesiones" in confirmation.html  # the practice writes in Spanish

    browser.open(next(link for link in confirmation.links if "/manage/" in link))
    assert browser.status() == 200
    browser.accessible()
    browser.click_text("Cancel this and the 3 following sessions")
    browser.wait_for_text(".alert.success", "the following sessions of the series have been cancelled")
    browser.accessible()
    with unit_of_work() as work:
        statuses = list(work.session.scalars(select(m.Appointment.status)))
    assert statuses == [m.AppointmentStatus.cancelled_by_client] * 4
    assert [mail.kind for mail in read_mail() if mail.kind.startswith("cancel")] == [
        "cancellation_confirmation", "cancelled_by_client"]
