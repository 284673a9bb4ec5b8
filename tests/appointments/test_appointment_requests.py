"""Appointment requests: listed for the professional, accepted into appointments, rejected, or expired."""

from __future__ import annotations

import datetime as dt

import pytest

from shared import models as m
from shared.appointments import appointment_requests as requests_service
from shared.appointments import public
from shared.errors import Conflict, NotFound
from tests.appointments.conftest import NOW, madrid
from tests.factories import (
    headers_for,
    make_appointment,
    make_block,
    make_client,
    make_professional,
    make_service,
)

SLOT = madrid(2030, 6, 4, 10)


@pytest.fixture
def by_hand(uow):
    """A professional who confirms bookings by hand: 09:00-13:00 on weekdays, a 60-minute service."""
    professional = make_professional(uow.session, email="byhand@example.com", allow_public_booking=False)
    for day in range(5):
        make_block(uow.session, professional, weekday=day, start="09:00", end="13:00")
    service = make_service(uow.session, professional, name="Coaching", duration_minutes=60)
    uow.commit()
    return professional, service


def _request(run, professional, service, *, start=SLOT, email="rita@example.com", name="Rita"):
    return run(public.book, slug=professional.public_slug, now=NOW, booking_in={
        "service_id": service.id, "start_datetime": start, "name": name, "email": email,
        "phone": "+34 633", "comment": "Evenings are hard"})


def test_the_professional_lists_requests_by_status_and_start(http, run, by_hand):
    professional, service = by_hand
    later = _request(run, professional, service, start=madrid(2030, 6, 5, 11))
    earlier = _request(run, professional, service, start=madrid(2030, 6, 4, 9), email="sam@example.com")
    run(requests_service.reject_request, professional_id=professional.id, request_id=later.id, now=NOW)

    headers = headers_for(professional)
    everything = http.get("/appointment-requests", headers=headers).json
    pending = http.get("/appointment-requests?status=pending", headers=headers).json

    assert [i["id"] for i in everything["items"]] == [earlier.id, later.id]
    assert everything["total"] == 2 and pending["total"] == 1
    [item] = pending["items"]
    assert item["requested_datetime"] == "2030-06-04T09:00:00+02:00"
    client = (item["client_name"], item["client_email"], item["client_phone"])
    assert (*client, item["client_comment"], item["status"]) == (
        "Rita", "sam@example.com", "+34 633", "Evenings are hard", "pending")
    assert item["service"] == {"id": service.id, "name": "Coaching", "duration_minutes": 60}
    assert http.get("/appointment-requests?status=nope", headers=headers).status_code == 422


def test_accepting_makes_a_confirmed_appointment_and_tells_the_client(run, rows, by_hand):
    professional, service = by_hand
    request = _request(run, professional, service)

    view = run(requests_service.accept_request, professional_id=professional.id, request_id=request.id,
               now=NOW)

    assert view.status == "accepted" and view.decided_at == NOW
    [appointment] = rows(m.Appointment)
    assert view.appointment_id == appointment.id
    assert (appointment.start_datetime, appointment.status) == (SLOT, m.AppointmentStatus.confirmed)
    assert appointment.created_from_public_link and appointment.client_comment == "Evenings are hard"
    assert appointment.notes is None  # the client's words are not the professional's private notes
    [client] = rows(m.Client)
    assert (client.name, client.email, client.phone) == ("Rita", "rita@example.com", "+34 633")
    last = rows(m.Notification)[-1]
    assert (last.type, last.recipient, last.appointment_id, last.appointment_request_id) == (
        "request_accepted", "rita@example.com", appointment.id, request.id)
    assert [link.type for link in rows(m.PublicLink)] == [m.LinkType.appointment_request,
                                                             m.LinkType.appointment]
    assert [a.action for a in rows(m.AuditLog)][-2:] == ["appointment.created",
                                                        "appointment_request.accepted"]


def test_accepting_finds_an_existing_client_by_email(run, uow, rows, by_hand):
    professional, service = by_hand
    known = make_client(uow.session, professional, name="Rita Known", email="rita@example.com")
    uow.commit()
    request = _request(run, professional, service)

    run(requests_service.accept_request, professional_id=professional.id, request_id=request.id, now=NOW)

    assert [c.id for c in rows(m.Client)] == [known.id]


def test_accepting_a_time_that_is_no_longer_free_is_a_conflict_and_writes_nothing(run, uow, rows, count,
                                                                                  by_hand):
    professional, service = by_hand
    request = _request(run, professional, service)
    client = make_client(uow.session, professional, email="walkin@example.com")
    make_appointment(uow.session, professional, service=service, client=client,
                     start=SLOT + dt.timedelta(minutes=30))
    uow.commit()
    before = (count(m.Client), count(m.Notification), count(m.AuditLog), count(m.PublicLink))

    with pytest.raises(Conflict) as raised:
        run(requests_service.accept_request, professional_id=professional.id, request_id=request.id, now=NOW)

    assert raised.value.extra["slug"] == "overlap"
    assert (count(m.Client), count(m.Notification), count(m.AuditLog), count(m.PublicLink)) == before
    assert rows(m.AppointmentRequest)[0].status == m.RequestStatus.pending


def test_two_requests_for_one_time_only_one_can_be_accepted(run, by_hand):
    professional, service = by_hand
    first = _request(run, professional, service)
    second = _request(run, professional, service, email="other@example.com")

    run(requests_service.accept_request, professional_id=professional.id, request_id=first.id, now=NOW)
    with pytest.raises(Conflict):
        run(requests_service.accept_request, professional_id=professional.id, request_id=second.id, now=NOW)


def test_rejecting_tells_the_client_the_reason(run, rows, by_hand):
    professional, service = by_hand
    request = _request(run, professional, service)

    view = run(requests_service.reject_request, professional_id=professional.id, request_id=request.id,
               reject_in={"reason": "Fully booked that week"}, now=NOW)

    assert view.status == "rejected" and view.appointment_id is None
    last = rows(m.Notification)[-1]
    assert (last.type, last.payload) == ("request_rejected", {"reason": "Fully booked that week"})
    assert rows(m.AuditLog)[-1].action == "appointment_request.rejected"
    assert rows(m.Appointment) == []


@pytest.mark.parametrize("decision", ["accept_request", "reject_request"])
@pytest.mark.parametrize("status", ["accepted", "rejected", "expired"])
def test_a_decided_request_cannot_be_decided_again(run, uow, by_hand, decision, status):
    professional, service = by_hand
    request = _request(run, professional, service)
    row = uow.session.get(m.AppointmentRequest, request.id)
    row.status = m.RequestStatus(status)
    uow.commit()

    with pytest.raises(Conflict) as raised:
        run(getattr(requests_service, decision), professional_id=professional.id, request_id=request.id,
            now=NOW)
    assert raised.value.extra["current_status"] == status
    assert status in raised.value.detail


def test_a_request_whose_time_has_passed_cannot_be_accepted(run, by_hand):
    professional, service = by_hand
    request = _request(run, professional, service)
    with pytest.raises(Conflict):
        run(requests_service.accept_request, professional_id=professional.id, request_id=request.id, now=SLOT)


def test_another_professionals_request_is_not_found(run, http, by_hand, professional):
    owner, service = by_hand
    request = _request(run, owner, service)
    headers = headers_for(professional)

    with pytest.raises(NotFound):
        run(requests_service.accept_request, professional_id=professional.id, request_id=request.id, now=NOW)
    assert http.post(f"/appointment-requests/{request.id}/accept", headers=headers).status_code == 404
    assert http.post(f"/appointment-requests/{request.id}/reject", headers=headers).status_code == 404
    assert http.get("/appointment-requests", headers=headers).json["total"] == 0


def test_http_accept_and_reject(http, run, by_hand):
    professional, service = by_hand
    first = _request(run, professional, service)
    second = _request(run, professional, service, start=madrid(2030, 6, 4, 11), email="b@example.com")
    headers = headers_for(professional)

    accepted = http.post(f"/appointment-requests/{first.id}/accept", headers=headers)
    rejected = http.post(f"/appointment-requests/{second.id}/reject", headers=headers, json={"reason": "No"})
    again = http.post(f"/appointment-requests/{second.id}/reject", headers=headers)

    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    assert http.get(f"/appointments/{accepted.json['appointment_id']}", headers=headers).status_code == 200
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    assert again.status_code == 409 and again.json["current_status"] == "rejected"


def test_expire_requests_marks_only_pending_requests_whose_start_has_passed(run, rows, by_hand):
    professional, service = by_hand
    due = _request(run, professional, service, start=madrid(2030, 6, 4, 9))
    not_yet = _request(run, professional, service, start=madrid(2030, 6, 4, 11), email="n@example.com")
    decided = _request(run, professional, service, start=madrid(2030, 6, 4, 10), email="d@example.com")
    run(requests_service.reject_request, professional_id=professional.id, request_id=decided.id, now=NOW)
    at = madrid(2030, 6, 4, 10)  # 09:00 has passed, 10:00 starts right now, 11:00 is still ahead

    assert run(requests_service.expire_requests, now=at) == 1

    by_id = {r.id: r for r in rows(m.AppointmentRequest)}
    assert by_id[due.id].status == m.RequestStatus.expired and by_id[due.id].decided_at == at
    assert by_id[not_yet.id].status == m.RequestStatus.pending
    assert by_id[decided.id].status == m.RequestStatus.rejected
    assert rows(m.AuditLog)[-1].action == "appointment_request.expired"
    assert run(requests_service.expire_requests, now=at) == 0
