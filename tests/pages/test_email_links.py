"""Every link in every e-mail the product sends reaches a working page."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from sqlalchemy import select

from shared import models as m
from shared.accounts import reset_request
from shared.appointments import requests
from shared.appointments.actors import ANONYMOUS_CLIENT, Actor
from shared.appointments.reschedule import reschedule
from shared.appointments.status import cancel
from shared.calendars.sources import sync_source
from shared.config import get_settings
from shared.db import unit_of_work
from shared.notifications.reminders import sweep_reminders
from shared.notifications.render import KINDS
from tests.accounts.helpers import run_queued_jobs
from tests.pages.browser import read_mail
from tests.pages.flows import book


class Walker:
    """Reads the e-mails written since the last look and opens each of their links on the site."""

    def __init__(self, gateway):
        self.gateway, self.seen, self.kinds, self.opened = gateway, set(), set(), 0

    def walk(self) -> None:
        base = get_settings().public_base_url
        for mail in read_mail():
            if mail.id in self.seen:
                continue
            self.seen.add(mail.id)
            self.kinds.add(mail.kind)
            for link in mail.links:
                if link.startswith("mailto:"):
                    continue
                assert link.startswith(base + "/"), (mail.kind, link)
                parts = urlsplit(link)
                response = self.gateway.get(parts.path + (f"?{parts.query}" if parts.query else ""))
                assert response.status_code == 200, (mail.kind, link, response.status_code)
                assert response.mimetype in ("text/html", "text/calendar"), (mail.kind, link)
                self.opened += 1


def _settings(**values):
    with unit_of_work() as uow:
        uow.session.execute(m.ProfessionalSettings.__table__.update().values(**values))
        uow.commit()


def test_every_link_in_every_email_reaches_a_working_page(gateway, practice):
    professional, services = practice
    slug, service_id = "consulta-lucia", services[0].id
    walker = Walker(gateway)

    _settings(require_email_confirmation=True)
    book(slug, service_id, days_ahead=2, email="held@example.com")
    walker.walk()  # booking_hold (its link asks for the confirmation)
    _settings(require_email_confirmation=False)
    booked = book(slug, service_id, days_ahead=3)  # booking_confirmation, new_booking
    walker.walk()
    later = book(slug, service_id, days_ahead=5, email="other@example.com")
    with unit_of_work() as uow:
        reschedule(uow, ANONYMOUS_CLIENT, token=booked.cancellation_token,
                   start_datetime=later.start_datetime + dt.timedelta(hours=1))
    walker.walk()  # rescheduled, rescheduled_professional
    with unit_of_work() as uow:
        start = uow.session.scalar(select(m.Appointment.start_datetime).where(m.Appointment.id == booked.id))
        sweep_reminders(uow, now=start - dt.timedelta(minutes=30))
        uow.commit()
    walker.walk()  # reminder
    with unit_of_work() as uow:
        cancel(uow, ANONYMOUS_CLIENT, token=booked.cancellation_token)
    walker.walk()  # cancellation_confirmation, cancelled_by_client
    with unit_of_work() as uow:
        cancel(uow, Actor.professional(professional.id), appointment_id=later.id, reason="Closed")
    walker.walk()  # cancelled_by_professional

    _settings(default_appointment_status="pending")
    book(slug, service_id, days_ahead=4, email="third@example.com")
    walker.walk()  # booking_received
    _settings(allow_public_booking=False)
    first = book(slug, service_id, days_ahead=6, email="fourth@example.com")
    second = book(slug, services[1].id, days_ahead=7, email="fifth@example.com")
    walker.walk()  # request_received, request_received_professional (accept and decline links)
    with unit_of_work() as uow:
        requests.accept(uow, Actor.professional(professional.id), first.id)
    with unit_of_work() as uow:
        requests.reject(uow, Actor.professional(professional.id), second.id)
    walker.walk()  # request_accepted, request_rejected
    reset_request.forgot_password(email="pro@example.com")
    run_queued_jobs("start_password_reset")
    walker.walk()  # password_reset
    with unit_of_work() as uow:  # a calendar source that cannot be read (loopback is refused)
        source = m.CalendarSource(professional_id=professional.id, kind=m.CalendarSourceKind.ics,
                                  url="http://127.0.0.1:9/calendar.ics")
        uow.session.add(source)
        uow.session.flush()
        source_id = source.id
        uow.commit()
    sync_source(source_id, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    walker.walk()  # calendar_source_flagged (no link: it says what to fix in the settings)
    registered = gateway.post("/auth/register", json={
        "email": "new.pro@example.com", "password": "a quiet violet orchard 42", "name": "Nora Nueva",
        "business_name": "Consulta Nora"})
    assert registered.status_code == 201
    walker.walk()  # email_verification

    assert walker.kinds == set(KINDS)
    assert walker.opened >= len(KINDS)
