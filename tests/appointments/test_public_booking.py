"""Clients book from the public page: offered slots only, appointment or request, caps and rate limits."""

from __future__ import annotations

import datetime as dt

import pytest

from shared import linktokens
from shared import models as m
from shared.appointments.actors import ANONYMOUS_CLIENT, Actor
from shared.appointments.book import book
from shared.appointments.status import cancel
from shared.appointments.views import ClientAppointmentView, ClientRequestView
from shared.config import reset_settings
from shared.errors import Conflict, NotFound
from tests.appointments.conftest import NOW, at, future_weekday, madrid
from tests.factories import make_appointment, make_block, make_client, make_professional, make_service

SLOT = madrid(2030, 6, 4, 10)  # Tuesday 10:00, inside 09:00-13:00


def _book(run, professional, service, *, start=SLOT, email="eva@example.com", now=NOW, **extra):
    booking_in = {"service_id": service.id, "start_datetime": start, "name": "Eva", "email": email,
                  "phone": "+34 622", "comment": "Knee pain", **extra}
    return run(book, slug=professional.public_slug, booking_in=booking_in,
               actor=Actor.client(ip_address="198.51.100.4", request_id="pub-1"), now=now)


def _bookable(session, **settings):
    professional = make_professional(session, **settings)
    for day in range(5):
        make_block(session, professional, weekday=day, start="09:00", end="13:00")
    return professional, make_service(session, professional, name="Therapy", duration_minutes=60)


def test_a_public_booking_makes_the_appointment_with_a_manage_token(run, rows, professional, service,
                                                                    weekday_blocks):
    view = _book(run, professional, service)

    assert isinstance(view, ClientAppointmentView)
    assert (view.status, view.start_datetime, view.business_name) == ("confirmed", SLOT,
                                                                       professional.business_name)
    [appointment] = rows(m.Appointment)
    assert appointment.created_from_public_link and appointment.client_comment == "Knee pain"
    assert appointment.notes is None
    assert appointment.end_datetime == SLOT + dt.timedelta(hours=1)
    [client] = rows(m.Client)
    assert (client.name, client.email, client.phone) == ("Eva", "eva@example.com", "+34 622")
    [link] = rows(m.PublicLink)
    assert link.token_hash == linktokens.hash_token(view.cancellation_token)
    assert linktokens.derive("appointment", link.token_nonce) == view.cancellation_token  # re-derivable
    assert link.expires_at == appointment.end_datetime + dt.timedelta(days=30)
    notes = [(n.type, n.recipient, n.appointment_id) for n in rows(m.Notification)]
    assert notes == [("booking_confirmation", "eva@example.com", appointment.id),
                     ("new_booking", "pro@example.com", appointment.id)]
    [entry] = rows(m.AuditLog)
    assert (entry.action, entry.user_id, str(entry.ip_address)) == ("appointment.created", None,
                                                                          "198.51.100.4")
    assert entry.metadata_["source"] == "public_link"


def test_a_returning_client_is_found_by_email_and_keeps_their_record(run, uow, rows, professional, service,
                                                                     weekday_blocks):
    known = make_client(uow.session, professional, name="Eva Known", email="eva@example.com")
    uow.commit()

    _book(run, professional, service, name="Typo Name")

    [client] = rows(m.Client)
    assert (client.id, client.name) == (known.id, "Eva Known")


def test_a_pending_default_tells_the_client_it_awaits_confirmation(run, uow, rows):
    professional, service = _bookable(uow.session, default_appointment_status="pending")
    uow.commit()

    assert _book(run, professional, service).status == "pending"
    assert [n.type for n in rows(m.Notification)] == ["booking_received", "new_booking"]


@pytest.mark.parametrize("start", [
    madrid(2030, 6, 4, 10, 30),  # not on the hourly grid
    madrid(2030, 6, 4, 13),  # outside the block
    madrid(2030, 6, 8, 10),  # Saturday: no availability
    madrid(2030, 6, 3, 9),  # today, inside the minimum notice
    madrid(2030, 9, 3, 10),  # beyond booking_advance_days
])
def test_a_time_that_is_not_offered_is_a_conflict_and_writes_nothing(run, count, professional, service,
                                                                     weekday_blocks, start):
    with pytest.raises(Conflict) as raised:
        _book(run, professional, service, start=start)
    assert raised.value.extra["slug"] == "slot-unavailable"
    assert "no longer available" in raised.value.detail
    assert [count(model) for model in (m.Appointment, m.Client, m.Notification, m.AuditLog)] == [0, 0, 0, 0]


def test_a_taken_slot_is_no_longer_available(run, uow, count, professional, service, client, weekday_blocks):
    make_appointment(uow.session, professional, service=service, client=client, start=SLOT)
    uow.commit()

    with pytest.raises(Conflict):
        _book(run, professional, service)
    assert count(m.Client) == 1 and count(m.Notification) == 0


def test_unknown_pages_and_services_are_not_found(run, uow, professional, other_professional, service,
                                                  weekday_blocks):
    foreign = make_service(uow.session, other_professional)
    hidden = make_service(uow.session, professional, is_active=False)
    uow.commit()

    for svc in (foreign, hidden):
        with pytest.raises(NotFound):
            _book(run, professional, svc)
    with pytest.raises(NotFound):
        run(book, actor=ANONYMOUS_CLIENT, slug="nobody-here", now=NOW, booking_in={
            "service_id": service.id, "start_datetime": SLOT, "name": "A", "email": "a@example.com"})


def test_an_inactive_professional_takes_no_bookings(run, uow, professional, service, weekday_blocks):
    professional.is_active = False
    uow.commit()
    with pytest.raises(NotFound):
        _book(run, professional, service)


def test_with_public_booking_off_a_request_is_recorded(run, uow, rows):
    professional, service = _bookable(uow.session, allow_public_booking=False)
    uow.commit()

    view = _book(run, professional, service)

    assert isinstance(view, ClientRequestView) and view.status == "pending"
    [request] = rows(m.AppointmentRequest)
    assert (request.client_name, request.client_email,
            request.client_comment) == ("Eva", "eva@example.com", "Knee pain")
    assert request.end_datetime == SLOT + dt.timedelta(hours=1)
    assert rows(m.Appointment) == [] and rows(m.Client) == []
    [link] = rows(m.PublicLink)
    assert link.type == m.LinkType.appointment_request and link.appointment_request_id == request.id
    assert link.token_hash == linktokens.hash_token(view.request_token)
    notes = [(n.type, n.recipient, n.appointment_request_id) for n in rows(m.Notification)]
    assert notes == [("request_received", "eva@example.com", request.id),
                     ("request_received_professional", professional.user.email, request.id)]
    assert [a.action for a in rows(m.AuditLog)] == ["appointment_request.created"]


def test_open_public_bookings_per_email_are_capped(run, uow, rows):
    professional, service = _bookable(uow.session, max_pending_public_bookings=2)
    uow.commit()

    _book(run, professional, service, start=madrid(2030, 6, 4, 9))
    _book(run, professional, service, start=madrid(2030, 6, 4, 10), email="EVA@example.com".lower())
    with pytest.raises(Conflict) as raised:
        _book(run, professional, service, start=madrid(2030, 6, 4, 11))

    assert raised.value.extra["slug"] == "too-many-pending-bookings"
    assert "2 upcoming bookings" in raised.value.detail
    assert _book(run, professional, service, start=madrid(2030, 6, 4, 11), email="other@example.com")
    assert len(rows(m.Appointment)) == 3


def test_the_cap_counts_pending_requests_and_ignores_past_or_cancelled_bookings(run, uow):
    professional, service = _bookable(uow.session, max_pending_public_bookings=2, allow_public_booking=False)
    uow.commit()
    _book(run, professional, service, start=madrid(2030, 6, 4, 9))
    _book(run, professional, service, start=madrid(2030, 6, 4, 10))
    with pytest.raises(Conflict):
        _book(run, professional, service, start=madrid(2030, 6, 4, 11))

    # A week later both requested times have passed: they no longer count.
    later = NOW + dt.timedelta(days=7)
    assert _book(run, professional, service, start=madrid(2030, 6, 11, 10), now=later).status == "pending"


def test_a_cancelled_public_booking_frees_its_place_under_the_cap(run, uow):
    professional, service = _bookable(uow.session, max_pending_public_bookings=1)
    uow.commit()
    first = _book(run, professional, service, start=madrid(2030, 6, 4, 9))
    run(cancel, actor=ANONYMOUS_CLIENT, token=first.cancellation_token, now=NOW)

    assert _book(run, professional, service, start=madrid(2030, 6, 4, 10)).status == "confirmed"


# Over HTTP


def _page(uow):
    """A professional with availability every day from 09:00 to 13:00 and a 60-minute service."""
    professional = make_professional(uow.session, email="page@example.com")
    for day in range(7):
        make_block(uow.session, professional, weekday=day, start="09:00", end="13:00")
    service = make_service(uow.session, professional, name="Therapy", duration_minutes=60)
    uow.commit()
    return professional, service


def _body(service, start, email="eva@example.com", **extra):
    return {"service_id": service.id, "start_datetime": start.isoformat(), "name": "Eva", "email": email,
            **extra}


def test_http_booking_returns_201_with_the_token_and_no_private_data(http, uow):
    professional, service = _page(uow)
    start = at(future_weekday(), 10)

    response = http.post(f"/public/professionals/{professional.public_slug}/appointments",
                         json=_body(service, start, comment="private note"))

    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == f"/public/appointments/{body['cancellation_token']}"
    assert set(body) == {"kind", "id", "status", "business_name", "professional_slug", "timezone",
                         "service", "start_datetime", "end_datetime", "cancellation_policy_hours",
                         "changes_allowed_until", "can_cancel", "can_reschedule", "hold_expires_at",
                         "cancellation_token"}
    assert body["start_datetime"] == start.isoformat() and body["can_cancel"] is True
    assert body["service"] == {"id": service.id, "name": "Therapy", "duration_minutes": 60}


def test_http_booking_with_requests_returns_202(http, uow):
    professional = make_professional(uow.session, allow_public_booking=False)
    make_block(uow.session, professional, weekday=1, start="09:00", end="13:00")
    service = make_service(uow.session, professional)
    uow.commit()

    response = http.post(f"/public/professionals/{professional.public_slug}/appointments",
                         json=_body(service, at(future_weekday(), 9)))

    assert response.status_code == 202
    assert response.json["kind"] == "appointment_request" and response.json["status"] == "pending"
    assert linktokens.looks_like_token(response.json["request_token"])


@pytest.mark.parametrize("body, field", [
    ({"email": "nope"}, "email"),
    ({"start_datetime": "2030-06-04T10:00"}, "start_datetime"),
    ({"name": ""}, "name"),
    ({"comment": "x" * 2001}, "comment"),
    ({"notes": "the professional's field"}, "notes"),
    ({"extra": 1}, "extra"),
])
def test_http_booking_validates_input(http, uow, body, field):
    professional, service = _page(uow)
    payload = _body(service, at(future_weekday(), 10))
    payload.update(body)
    response = http.post(f"/public/professionals/{professional.public_slug}/appointments", json=payload)
    assert response.status_code == 422 and field in response.json["errors"]


def test_http_booking_a_taken_slot_is_409(http, uow):
    professional, service = _page(uow)
    start = at(future_weekday(), 11)
    url = f"/public/professionals/{professional.public_slug}/appointments"

    assert http.post(url, json=_body(service, start)).status_code == 201
    second = http.post(url, json=_body(service, start, email="other@example.com"))

    assert second.status_code == 409 and "no longer available" in second.json["detail"]


def test_booking_is_rate_limited_per_client_address(http, uow):
    professional, service = _page(uow)
    url = f"/public/professionals/{professional.public_slug}/appointments"

    statuses = [http.post(url, json={}, environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code
                for _ in range(11)]
    other_address = http.post(url, json={}, environ_base={"REMOTE_ADDR": "192.0.2.11"})

    assert statuses == [422] * 10 + [429]
    assert other_address.status_code == 422
    limited = http.post(url, json={}, environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert int(limited.headers["Retry-After"]) >= 1


def test_refused_attempts_from_many_addresses_do_not_close_the_page(http, uow):
    # The review kept a page at 429 for everyone with invalid bodies from six addresses.
    professional, service = _page(uow)
    url = f"/public/professionals/{professional.public_slug}/appointments"

    statuses = [http.post(url, json={}, environ_base={"REMOTE_ADDR": f"192.0.2.{i}"}).status_code
                for i in range(61)]
    genuine = http.post(url, json=_body(service, at(future_weekday(), 10)),
                        environ_base={"REMOTE_ADDR": "198.51.100.1"})

    assert statuses == [422] * 61
    assert genuine.status_code == 201


def test_the_page_budget_counts_bookings_taken(http, uow, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PUBLIC_BOOKING_PAGE", "2/minute")
    reset_settings()
    professional, service = _page(uow)
    url = f"/public/professionals/{professional.public_slug}/appointments"
    day = future_weekday()

    taken = [http.post(url, json=_body(service, at(day, 9 + n), email=f"c{n}@example.com"),
                       environ_base={"REMOTE_ADDR": f"192.0.2.{n}"}).status_code for n in range(3)]
    other_page = http.post("/public/professionals/someone-else/appointments", json={},
                           environ_base={"REMOTE_ADDR": "192.0.2.200"})

    assert taken == [201, 201, 429]
    assert other_page.status_code == 422


def test_an_ipv6_client_counts_once_for_its_whole_64(http, uow):
    # One /64 holds 2**64 addresses: keyed per address, the limit would never bite.
    professional, service = _page(uow)
    url = f"/public/professionals/{professional.public_slug}/appointments"

    statuses = [http.post(url, json={}, environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{n:x}"}).status_code
                for n in range(1, 12)]
    next_network = http.post(url, json={}, environ_base={"REMOTE_ADDR": "2001:db8:1:3::1"})

    assert statuses == [422] * 10 + [429]
    assert next_network.status_code == 422
