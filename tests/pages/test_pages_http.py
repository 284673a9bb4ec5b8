"""The pages over HTTP, through the gateway as in production: statuses, headers, forms, errors as pages."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time
from sqlalchemy import func, select, update

from shared import linktokens
from shared import models as m
from tests.factories import make_appointment, make_client
from tests.pages.flows import book

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
# Each page with everything it loads (its own CSS and JS files) stays small.
PAGE_WEIGHT_LIMIT = 50 * 1024


def _html(response) -> str:
    assert response.mimetype == "text/html", response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_booking_page_shows_the_practice_in_the_visitors_language(gateway, practice):
    professional, services = practice
    spanish = _html(gateway.get("/book/consulta-lucia", headers={"Accept-Language": "es-ES,es;q=0.9"}))
    assert '<html lang="es">' in spanish and "Reserva una cita con Consulta Lucía" in spanish
    assert "60,00\xa0€" in spanish and "45,50\xa0€" in spanish and "60 minutos" in spanish
    assert "&lt;b&gt;sin&lt;/b&gt;" in spanish  # markup in a bio is shown as text
    english = _html(gateway.get("/book/consulta-lucia", headers={"Accept-Language": "en-GB,en;q=0.9"}))
    assert '<html lang="en">' in english and "€60.00" in english and "60 minutes" in english
    # The switch wins over the browser; without either, the professional's locale (es) is the default.
    assert '<html lang="en">' in _html(gateway.get("/book/consulta-lucia?lang=en",
                                                   headers={"Accept-Language": "es"}))
    assert '<html lang="es">' in _html(gateway.get("/book/consulta-lucia", headers={"Accept-Language": "de"}))


def test_pages_have_a_strict_policy_and_no_referrer(gateway, practice):
    professional, services = practice
    response = gateway.get(f"/book/consulta-lucia?service={services[0].id}")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    html = _html(response)
    assert "<style" not in html and " style=" not in html and "<script>" not in html
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []  # no third-party assets
    cookie = response.headers["Set-Cookie"]
    assert "agenda_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_form_without_this_browsers_token_is_refused(gateway, practice, session):
    professional, services = practice
    gateway.get("/book/consulta-lucia")  # the cookie
    body = {"service_id": str(services[0].id), "start_datetime": "2030-01-01T10:00:00+01:00",
            "name": "Eve", "email": "eve@example.com", "lang": "en"}
    for token in ("", "0" * 64):
        response = gateway.post("/book/consulta-lucia", data={**body, "csrf_token": token})
        assert response.status_code == 403
        assert "This form has expired" in _html(response)
    assert _count(session, m.Appointment) == 0


def test_a_booking_posted_as_a_form_makes_the_appointment(gateway, practice, session):
    professional, services = practice
    page = _html(gateway.get(f"/book/consulta-lucia?service={services[0].id}&lang=en"))
    token = CSRF.search(page).group(1)
    start = re.search(r'name="start_datetime" id="slot-1" value="([^"]+)"', page).group(1)
    response = gateway.post("/book/consulta-lucia", data={
        "csrf_token": token, "lang": "en", "service_id": str(services[0].id), "start_datetime": start,
        "name": "Ana", "email": "ana@example.com", "phone": "", "comment": ""})
    assert response.status_code == 303
    assert re.fullmatch(r"/manage/[A-Za-z0-9_-]{43}\?lang=en&done=booked", response.headers["Location"])
    assert _count(session, m.Appointment) == 1
    # The same time again: taken, said on the booking page itself.
    again = gateway.post("/book/consulta-lucia", data={
        "csrf_token": token, "lang": "en", "service_id": str(services[0].id), "start_datetime": start,
        "name": "Bea", "email": "bea@example.com"})
    assert again.status_code == 409
    assert "That time is no longer available" in _html(again)
    assert _count(session, m.Appointment) == 1


@pytest.mark.parametrize("path", [
    "/book/nobody-here", "/book", "/book/", "/manage/" + "A" * 43, "/manage/short", "/manage/",
    "/manage/" + "A" * 43 + "/reschedule", "/manage/" + "A" * 43 + "/appointment.ics",
    "/reset-password?token=" + "A" * 43, "/reset-password", "/requests/1/accept/" + "A" * 43,
    "/requests/1/maybe/" + "A" * 43, "/assets/other.js",
])
def test_unknown_pages_and_links_are_plain_404_pages(gateway, practice, path):
    response = gateway.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 404
    html = _html(response)
    assert "Page not found" in html and "Traceback" not in html


def test_expired_and_revoked_links_are_410_pages(gateway, practice, uow):
    professional, services = practice
    client = make_client(uow.session, professional)
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    tokens = []
    for revoked in (False, True):
        appointment = make_appointment(uow.session, professional, service=services[0], client=client,
                                       start=start + dt.timedelta(hours=3 * revoked))
        token, nonce, token_hash = linktokens.new_token("appointment")
        uow.session.add(m.PublicLink(
            professional_id=professional.id, appointment_id=appointment.id, type=m.LinkType.appointment,
            token_hash=token_hash, token_nonce=nonce,
            expires_at=start + dt.timedelta(days=1) if revoked else dt.datetime.now(dt.UTC),
            revoked_at=dt.datetime.now(dt.UTC) if revoked else None))
        tokens.append(token)
    uow.commit()
    for token in tokens:
        response = gateway.get(f"/manage/{token}", headers={"Accept-Language": "es"})
        assert response.status_code == 410
        assert "Este enlace ya no es válido" in _html(response)
        # The API keeps answering 404 for any dead link.
        assert gateway.get(f"/public/appointments/{token}").status_code == 404


def test_a_held_booking_confirms_once_from_its_page_and_expires_as_a_410_page(gateway, practice, uow,
                                                                           session):
    professional, services = practice
    uow.session.execute(update(m.ProfessionalSettings).values(require_email_confirmation=True))
    uow.commit()
    held = book("consulta-lucia", services[0].id, days_ahead=3)
    token = linktokens.derive("appointment", uow.session.scalar(
        select(m.PublicLink.token_nonce).where(m.PublicLink.appointment_id == held.id)))

    shown = gateway.get(f"/confirm/{token}", headers={"Accept-Language": "en"})
    forged = gateway.post(f"/confirm/{token}", data={"csrf_token": "0" * 64})
    still_held = session.scalar(select(m.Appointment.status).where(m.Appointment.id == held.id))
    form_token = CSRF.search(_html(shown)).group(1)
    confirmed = gateway.post(f"/confirm/{token}", data={"csrf_token": form_token})
    again = gateway.get(f"/confirm/{token}")

    assert shown.status_code == 200 and "Confirm your booking" in _html(shown)
    assert forged.status_code == 403 and still_held == m.AppointmentStatus.held
    assert session.scalar(select(m.Appointment.status).where(m.Appointment.id == held.id)) \
        == m.AppointmentStatus.confirmed
    assert confirmed.status_code == 303 and confirmed.headers["Location"].endswith("done=confirmed")
    assert again.status_code == 303 and again.headers["Location"].startswith(f"/manage/{token}")
    later = book("consulta-lucia", services[0].id, days_ahead=4, email="later@example.com")
    uow.session.execute(update(m.Appointment).where(m.Appointment.id == later.id)
                        .values(hold_expires_at=dt.datetime.now(dt.UTC)))
    uow.session.execute(update(m.PublicLink).where(m.PublicLink.appointment_id == later.id)
                        .values(expires_at=dt.datetime.now(dt.UTC)))
    uow.commit()
    later_token = linktokens.derive("appointment", uow.session.scalar(
        select(m.PublicLink.token_nonce).where(m.PublicLink.appointment_id == later.id)))
    gone = gateway.get(f"/confirm/{later_token}", headers={"Accept-Language": "en"})
    assert gone.status_code == 410 and "This link is no longer valid" in _html(gone)


def test_cancelling_inside_the_policy_window_is_refused_with_the_reason(gateway, practice, uow, session):
    professional, services = practice
    booked = book("consulta-lucia", services[0].id, days_ahead=3)
    token = booked.cancellation_token
    page = _html(gateway.get(f"/manage/{token}?lang=en"))
    assert "You can cancel or change this appointment online until" in page
    stale_form_token = CSRF.search(page).group(1)
    # Time passes: the appointment is now two hours away, inside the 24-hour window.
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    uow.session.execute(update(m.Appointment).values(start_datetime=soon,
                                                     end_datetime=soon + dt.timedelta(hours=1)))
    uow.commit()
    page = _html(gateway.get(f"/manage/{token}?lang=en"))
    assert "can no longer be cancelled or changed online" in page and "Cancel the appointment" not in page
    # A page left open from before still has its cancel button: the command refuses, with the reason.
    response = gateway.post(f"/manage/{token}/cancel", data={"csrf_token": stale_form_token, "lang": "en"})
    assert response.status_code == 409
    assert "Changes are possible up to 24 hours before the start" in _html(response)
    session.expire_all()
    assert session.scalar(select(m.Appointment.status)) == m.AppointmentStatus.confirmed


def test_add_to_calendar_downloads_the_appointment(gateway, practice):
    professional, services = practice
    booked = book("consulta-lucia", services[0].id)
    response = gateway.get(f"/manage/{booked.cancellation_token}/appointment.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    ics = response.get_data(as_text=True)
    assert f"UID:appointment-{booked.id}@agenda" in ics and "Primera visita" in ics
    assert booked.start_datetime.astimezone(dt.UTC).strftime("DTSTART:%Y%m%dT%H%M%SZ") in ics


def test_each_page_weighs_under_50_kb_with_its_css_and_js(gateway, practice):
    professional, services = practice
    booked = book("consulta-lucia", services[0].id)
    assets = sum(len(gateway.get(f"/assets/{name}").get_data()) for name in ("agenda.css", "agenda.js"))
    for path in (f"/book/consulta-lucia?service={services[0].id}", f"/manage/{booked.cancellation_token}",
                 f"/manage/{booked.cancellation_token}/reschedule"):
        response = gateway.get(path)
        assert response.status_code == 200
        assert len(response.get_data()) + assets < PAGE_WEIGHT_LIMIT, path


def test_only_the_booking_page_may_be_framed_and_only_by_the_listed_sites(gateway, practice, uow):
    professional, services = practice
    professional.settings.embed_origins = ["https://www.consulta-lucia.example", "https://blog.example.org"]
    uow.commit()
    response = gateway.get("/book/consulta-lucia")
    assert ("frame-ancestors https://www.consulta-lucia.example https://blog.example.org"
            in response.headers["Content-Security-Policy"])
    assert "X-Frame-Options" not in response.headers
    booked = book("consulta-lucia", services[0].id)
    for path in (f"/manage/{booked.cancellation_token}", "/reset-password?token=" + "A" * 43, "/book/nobody"):
        other = gateway.get(path)
        assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"], path
        assert other.headers["X-Frame-Options"] == "DENY"


def test_dst_days_show_the_wall_clock_of_the_day(gateway, practice, uow):
    """On the day Madrid changes its clocks, 09:00 in Madrid moves to another hour in New York (which
    changes on another day): the day before and the day itself each show their own wall-clock times."""
    professional, services = practice
    professional.settings.booking_advance_days = 365
    uow.commit()
    madrid, new_york = ZoneInfo("Europe/Madrid"), ZoneInfo("America/New_York")
    day = dt.datetime.now(madrid).date() + dt.timedelta(days=2)
    while (dt.datetime.combine(day, dt.time(12), madrid).utcoffset()
           == dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), madrid).utcoffset()):
        day += dt.timedelta(days=1)
    starts = {}
    for date in (day - dt.timedelta(days=1), day):
        html = _html(gateway.get(f"/book/consulta-lucia?service={services[0].id}&date={date}"
                                 "&tz=America/New_York&lang=en"))
        nine = dt.datetime.combine(date, dt.time(9), tzinfo=madrid).astimezone(new_york)
        first = dt.datetime.fromisoformat(re.search(r'id="slot-1" value="([^"]+)"', html).group(1))
        assert first == nine
        label = re.search(r'<label for="slot-1">([^<]+)</label>', html).group(1)
        assert label == format_time(nine, "short", tzinfo=new_york, locale="en")
        starts[date] = label
    assert len(set(starts.values())) == 2, starts


def test_the_verification_link_asks_then_confirms_the_address(gateway, uow, session):
    import datetime as dt

    from shared.accounts import verification
    from tests.factories import make_professional as new_professional

    professional = new_professional(uow.session, email="nora@example.com", email_verified=False)
    uow.commit()
    token = verification.make_token(professional.user_id, "nora@example.com",
                                    verification.new_expiry(dt.datetime.now(dt.UTC)))

    page = gateway.get(f"/verify-email?token={token}&lang=en")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert gateway.get(f"/professionals/{professional.public_slug}/public").status_code == 404
    done = gateway.post("/verify-email", data={"token": token, "lang": "en",
                                               "csrf_token": CSRF.search(_html(page)).group(1)})

    assert done.status_code == 200 and "Your email address is confirmed" in _html(done)
    assert gateway.get(f"/professionals/{professional.public_slug}/public").status_code == 200
    assert gateway.get("/verify-email?token=1.2.forged").status_code == 404
