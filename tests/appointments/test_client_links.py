"""A client's token link: see, cancel or reschedule the appointment within the policy; dead links are 404."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from shared import linktokens
from shared import models as m
from shared.appointments import public
from shared.appointments import service as appointments
from shared.appointments.effects import Actor
from shared.appointments.views import ClientRequestView
from shared.errors import Conflict, NotFound
from tests.appointments.conftest import NOW, at, future_weekday, madrid
from tests.factories import make_block, make_professional, make_service

SLOT = madrid(2030, 6, 5, 10)  # Wednesday 10:00; with the 24-hour policy, changes close Tuesday 10:00
DEADLINE = SLOT - dt.timedelta(hours=24)
ACTOR = Actor(ip_address="198.51.100.9", request_id="link-1")


@pytest.fixture
def booked(run, professional, service, weekday_blocks):
    """A public booking for SLOT made at NOW; returns its view (with the token)."""
    return run(public.book, slug=professional.public_slug, now=NOW, booking_in={
        "service_id": service.id, "start_datetime": SLOT, "name": "Eva", "email": "eva@example.com",
        "comment": "My own words"})


def test_the_link_shows_what_the_client_may_see(run, booked, professional):
    view = run(public.get_by_token, token=booked.cancellation_token, now=NOW)

    assert (view.id, view.status, view.start_datetime) == (booked.id, "confirmed", SLOT)
    assert view.business_name == professional.business_name
    assert view.professional_slug == professional.public_slug
    assert view.cancellation_policy_hours == 24 and view.changes_allowed_until == DEADLINE
    assert view.can_cancel and view.can_reschedule
    assert view.cancellation_token is None  # the token is only handed out once, at booking
    assert not hasattr(view, "notes") and not hasattr(view, "client_comment") and not hasattr(view, "client")


def test_the_link_says_when_changes_are_no_longer_possible(run, booked):
    view = run(public.get_by_token, token=booked.cancellation_token, now=DEADLINE + dt.timedelta(seconds=1))
    assert not view.can_cancel and not view.can_reschedule


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "!" * 43, "a" * 44])
def test_unknown_or_malformed_tokens_are_not_found(run, booked, token):
    with pytest.raises(NotFound):
        run(public.get_by_token, token=token, now=NOW)
    with pytest.raises(NotFound):
        run(public.cancel_by_token, token=token, now=NOW)


def test_an_expired_link_is_not_found(run, booked):
    expires = SLOT + dt.timedelta(hours=1, days=30)
    assert run(public.get_by_token, token=booked.cancellation_token, now=expires - dt.timedelta(seconds=1))
    with pytest.raises(NotFound):
        run(public.get_by_token, token=booked.cancellation_token, now=expires)


def test_a_revoked_link_is_not_found(run, uow, booked):
    uow.session.execute(update(m.PublicLink).values(revoked_at=NOW))
    uow.commit()
    with pytest.raises(NotFound):
        run(public.get_by_token, token=booked.cancellation_token, now=NOW)
    with pytest.raises(NotFound):
        run(public.reschedule_by_token, token=booked.cancellation_token, start_datetime=SLOT, now=NOW)


# Cancelling


def test_the_client_cancels_and_both_sides_hear_of_it(run, rows, booked, professional):
    view = run(public.cancel_by_token, token=booked.cancellation_token, actor=ACTOR, now=NOW)

    assert view.status == "cancelled_by_client" and not view.can_cancel
    [appointment] = rows(m.Appointment)
    assert appointment.cancelled_at == NOW and appointment.sequence == 1
    new = [(n.type, n.recipient) for n in rows(m.Notification)][2:]
    assert new == [("cancellation_confirmation", "eva@example.com"),
                   ("cancelled_by_client", professional.user.email)]
    entry = rows(m.AuditLog)[-1]
    assert (entry.action, entry.user_id, entry.request_id) == ("appointment.cancelled", None, "link-1")
    assert entry.metadata_ == {"from": "confirmed", "to": "cancelled_by_client"}


def test_cancelling_twice_returns_the_same_result_and_writes_nothing_more(run, rows, booked):
    first = run(public.cancel_by_token, token=booked.cancellation_token, now=NOW)
    written = (len(rows(m.Notification)), len(rows(m.AuditLog)))

    second = run(public.cancel_by_token, token=booked.cancellation_token, now=NOW + dt.timedelta(minutes=5))

    assert second == first
    assert (len(rows(m.Notification)), len(rows(m.AuditLog))) == written
    assert rows(m.Appointment)[0].sequence == 1


@pytest.mark.parametrize("now, allowed", [
    (DEADLINE - dt.timedelta(seconds=1), True),
    (DEADLINE, True),  # exactly at the edge: still allowed
    (DEADLINE + dt.timedelta(microseconds=1), False),
    (SLOT, False),
    (SLOT + dt.timedelta(hours=2), False),  # after it happened
])
def test_cancelling_obeys_the_policy_window_at_its_edge(run, rows, booked, now, allowed):
    if allowed:
        view = run(public.cancel_by_token, token=booked.cancellation_token, now=now)
        assert view.status == "cancelled_by_client"
        return
    with pytest.raises(Conflict) as raised:
        run(public.cancel_by_token, token=booked.cancellation_token, now=now)
    assert "Changes are possible up to 24 hours before the start" in raised.value.detail
    assert raised.value.extra["cancellation_policy_hours"] == 24
    assert raised.value.extra["changes_allowed_until"] == DEADLINE.isoformat()
    assert rows(m.Appointment)[0].status == m.AppointmentStatus.confirmed


def test_without_a_policy_the_client_may_change_until_the_start(run, uow, rows):
    professional = make_professional(uow.session, cancellation_policy_hours=0)
    make_block(uow.session, professional, weekday=2, start="09:00", end="13:00")
    service = make_service(uow.session, professional)
    uow.commit()
    made = run(public.book, slug=professional.public_slug, now=NOW, booking_in={
        "service_id": service.id, "start_datetime": SLOT, "name": "Eva", "email": "eva@example.com"})

    with pytest.raises(Conflict) as raised:
        run(public.cancel_by_token, token=made.cancellation_token, now=SLOT + dt.timedelta(seconds=1))
    assert "until the start" in raised.value.detail
    view = run(public.cancel_by_token, token=made.cancellation_token, now=SLOT)
    assert view.status == "cancelled_by_client"


def test_an_appointment_the_professional_cancelled_stays_as_it_is(run, booked, professional):
    run(appointments.cancel, professional_id=professional.id, appointment_id=booked.id, now=NOW)
    view = run(public.cancel_by_token, token=booked.cancellation_token, now=NOW)
    assert view.status == "cancelled_by_professional"


def test_a_completed_appointment_cannot_be_cancelled_by_the_client(run, uow, booked):
    uow.session.execute(update(m.Appointment).values(status=m.AppointmentStatus.completed))
    uow.commit()
    with pytest.raises(Conflict) as raised:
        run(public.cancel_by_token, token=booked.cancellation_token, now=NOW)
    assert raised.value.extra["current_status"] == "completed"


# Rescheduling


def test_the_client_reschedules_to_an_offered_slot(run, rows, booked, professional):
    new_start = madrid(2030, 6, 6, 12)

    view = run(public.reschedule_by_token, token=booked.cancellation_token, start_datetime=new_start,
               actor=ACTOR, now=NOW)

    assert view.start_datetime == new_start and view.end_datetime == new_start + dt.timedelta(hours=1)
    [appointment] = rows(m.Appointment)
    assert appointment.sequence == 1 and appointment.status == m.AppointmentStatus.confirmed
    previous = {"previous_start": SLOT.astimezone(dt.UTC).isoformat()}
    new = [(n.type, n.recipient, n.payload) for n in rows(m.Notification)][2:]
    assert new == [("rescheduled", "eva@example.com", previous),
                   ("rescheduled_professional", professional.user.email, previous)]
    assert rows(m.PublicLink)[0].expires_at == new_start + dt.timedelta(hours=1, days=30)
    assert rows(m.AuditLog)[-1].action == "appointment.rescheduled"
    # The old time is free again, the new one is taken.
    assert run(public.get_by_token, token=booked.cancellation_token, now=NOW).start_datetime == new_start


def test_rescheduling_may_overlap_the_appointments_own_old_time(run, uow, rows):
    professional = make_professional(uow.session, slot_interval_minutes=30)
    make_block(uow.session, professional, weekday=2, start="09:00", end="13:00")
    service = make_service(uow.session, professional)
    uow.commit()
    made = run(public.book, slug=professional.public_slug, now=NOW, booking_in={
        "service_id": service.id, "start_datetime": SLOT, "name": "Eva", "email": "eva@example.com"})

    view = run(public.reschedule_by_token, token=made.cancellation_token,
               start_datetime=SLOT + dt.timedelta(minutes=30), now=NOW)

    assert view.start_datetime == SLOT + dt.timedelta(minutes=30)


@pytest.mark.parametrize("start", [
    madrid(2030, 6, 6, 10, 30),  # off the grid
    madrid(2030, 6, 8, 10),  # Saturday
    madrid(2030, 6, 6, 14),  # after the block
])
def test_rescheduling_to_a_time_not_offered_is_a_conflict(run, rows, booked, start):
    with pytest.raises(Conflict) as raised:
        run(public.reschedule_by_token, token=booked.cancellation_token, start_datetime=start, now=NOW)
    assert raised.value.extra["slug"] == "slot-unavailable"
    assert rows(m.Appointment)[0].start_datetime == SLOT


@pytest.mark.parametrize("now, allowed", [
    (DEADLINE, True),
    (DEADLINE + dt.timedelta(seconds=1), False),
])
def test_rescheduling_obeys_the_policy_window_at_its_edge(run, booked, now, allowed):
    new_start = madrid(2030, 6, 6, 12)
    if allowed:
        view = run(public.reschedule_by_token, token=booked.cancellation_token, start_datetime=new_start,
                   now=now)
        assert view.start_datetime == new_start
        return
    with pytest.raises(Conflict) as raised:
        run(public.reschedule_by_token, token=booked.cancellation_token, start_datetime=new_start, now=now)
    assert "Changes are possible up to 24 hours before the start" in raised.value.detail


def test_a_cancelled_appointment_cannot_be_rescheduled_by_link(run, booked):
    run(public.cancel_by_token, token=booked.cancellation_token, now=NOW)
    with pytest.raises(Conflict) as raised:
        run(public.reschedule_by_token, token=booked.cancellation_token,
            start_datetime=madrid(2030, 6, 6, 12), now=NOW)
    assert raised.value.extra["current_status"] == "cancelled_by_client"


# Request links


def test_a_request_link_shows_the_request_but_changes_nothing(run, uow):
    professional = make_professional(uow.session, allow_public_booking=False)
    make_block(uow.session, professional, weekday=2, start="09:00", end="13:00")
    service = make_service(uow.session, professional)
    uow.commit()
    made = run(public.book, slug=professional.public_slug, now=NOW, booking_in={
        "service_id": service.id, "start_datetime": SLOT, "name": "Eva", "email": "eva@example.com"})

    view = run(public.get_by_token, token=made.request_token, now=NOW)

    assert isinstance(view, ClientRequestView) and (view.id, view.status) == (made.id, "pending")
    with pytest.raises(NotFound):
        run(public.cancel_by_token, token=made.request_token, now=NOW)


# Over HTTP (real clock)


def _http_booking(http, uow):
    professional = make_professional(uow.session, email="links@example.com")
    for day in range(7):
        make_block(uow.session, professional, weekday=day, start="09:00", end="13:00")
    service = make_service(uow.session, professional)
    uow.commit()
    day = future_weekday()
    response = http.post(f"/public/professionals/{professional.public_slug}/appointments", json={
        "service_id": service.id, "start_datetime": at(day, 10).isoformat(), "name": "Eva",
        "email": "eva@example.com", "comment": "secret"})
    assert response.status_code == 201
    return response.json["cancellation_token"], day


def test_http_link_view_cancel_and_reschedule(http, uow):
    token, day = _http_booking(http, uow)

    shown = http.get(f"/public/appointments/{token}")
    assert shown.status_code == 200 and "secret" not in shown.get_data(as_text=True)
    assert "eva@example.com" not in shown.get_data(as_text=True)

    moved = http.post(f"/appointments/reschedule/{token}", json={"start_datetime": at(day, 12).isoformat()})
    assert moved.status_code == 200 and moved.json["start_datetime"] == at(day, 12).isoformat()
    closed = http.post(f"/appointments/reschedule/{token}", json={"start_datetime": at(day, 13).isoformat()})
    assert closed.status_code == 409  # the block ends at 13:00

    cancelled = http.post(f"/appointments/cancel/{token}")
    again = http.post(f"/function/public/appointments/cancel/{token}")
    assert cancelled.status_code == again.status_code == 200
    assert cancelled.json == again.json and cancelled.json["status"] == "cancelled_by_client"


@pytest.mark.parametrize("token", ["nope", "A" * 43, "%00" * 3])
def test_http_bad_tokens_are_404(http, token):
    assert http.get(f"/public/appointments/{token}").status_code == 404
    assert http.post(f"/appointments/cancel/{token}").status_code == 404
    assert http.post(f"/appointments/reschedule/{token}",
                     json={"start_datetime": "2030-06-04T10:00:00+02:00"}).status_code == 404


def test_http_token_use_is_rate_limited_per_address(http, db_url):
    statuses = [http.get(f"/public/appointments/{'A' * 43}", environ_base={"REMOTE_ADDR": "192.0.2.50"})
                .status_code for _ in range(31)]
    assert statuses == [404] * 30 + [429]
    assert linktokens.looks_like_token("A" * 43)
