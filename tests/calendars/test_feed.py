"""The calendar feed: a secret URL, revocable, parsed by icalendar and compared with the appointments."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from icalendar import Calendar

from shared.models import AppointmentStatus
from shared.notifications.calendar import appointment_uid
from tests.factories import headers_for, make_appointment, make_client, make_professional

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _feed_path(gateway, headers) -> str:
    response = gateway.get("/calendar/feed", headers=headers)
    assert response.status_code == 200, response.json
    return urlsplit(response.json["url"]).path


def _events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_lists_appointments_as_the_invitations_do(gateway, uow, pro, pro_headers, hour_service):
    ana = make_client(uow.session, pro, name="Ana María López", email="ana@example.com")
    start = (NOW + dt.timedelta(days=3)).replace(minute=0, second=0)
    confirmed = make_appointment(uow.session, pro, service=hour_service, client=ana, start=start,
                                 notes="private: anxiety, second session")
    pending = make_appointment(uow.session, pro, service=hour_service, client=ana,
                               start=start + dt.timedelta(days=1), status="pending")
    cancelled = make_appointment(uow.session, pro, service=hour_service, client=ana,
                                 start=start + dt.timedelta(days=2), status="cancelled_by_client")
    cancelled.cancelled_at, cancelled.sequence = NOW - dt.timedelta(days=1), 2
    old_cancel = make_appointment(uow.session, pro, service=hour_service, client=ana,
                                  start=start + dt.timedelta(days=4), status="cancelled_by_professional")
    old_cancel.cancelled_at = NOW - dt.timedelta(days=30)
    far = make_appointment(uow.session, pro, service=hour_service, client=ana,
                           start=start + dt.timedelta(days=400))
    uow.commit()

    path = _feed_path(gateway, pro_headers)
    response = gateway.get(path)  # no login: the token is the secret

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.data)
    assert calendar["PRODID"] and calendar["VERSION"] == "2.0"
    assert str(calendar["REFRESH-INTERVAL"].to_ical().decode()) == "PT1H"
    events = _events(response.data)
    assert set(events) == {appointment_uid(a.id) for a in (confirmed, pending, cancelled)}
    assert appointment_uid(old_cancel.id) not in events and appointment_uid(far.id) not in events
    first = events[appointment_uid(confirmed.id)]
    assert first["DTSTART"].dt == confirmed.start_datetime and first["DTEND"].dt == confirmed.end_datetime
    assert first["DTSTART"].dt.utcoffset() == dt.timedelta(0)
    assert str(first["SUMMARY"]) == "Therapy · A. M. L."
    assert str(first["STATUS"]) == "CONFIRMED" and int(first["SEQUENCE"]) == 0
    assert str(events[appointment_uid(pending.id)]["STATUS"]) == "TENTATIVE"
    cancelled_event = events[appointment_uid(cancelled.id)]
    assert str(cancelled_event["STATUS"]) == "CANCELLED" and int(cancelled_event["SEQUENCE"]) == 2
    text = response.data.decode()
    assert "anxiety" not in text and "López" not in text and "ana@example.com" not in text


def test_full_names_only_when_the_professional_turns_them_on(gateway, uow, pro, pro_headers, hour_service):
    client = make_client(uow.session, pro, name="Jon, Smith; Jr.", email="jon@example.com")
    appointment = make_appointment(uow.session, pro, service=hour_service, client=client,
                                   start=NOW + dt.timedelta(days=2))
    uow.commit()

    response = gateway.patch("/calendar/feed", json={"show_client_names": True}, headers=pro_headers)
    assert response.status_code == 200 and response.json["show_client_names"] is True
    body = gateway.get(urlsplit(response.json["url"]).path).data

    assert b"Jon\\, Smith\\; Jr." in body  # RFC 5545 escaping
    assert str(_events(body)[appointment_uid(appointment.id)]["SUMMARY"]) == "Therapy · Jon, Smith; Jr."
    assert gateway.patch("/calendar/feed", json={"show_client_names": "yes"},
                         headers=pro_headers).status_code == 422


def test_rotating_the_url_revokes_the_old_one_at_once(gateway, pro, pro_headers):
    first = gateway.get("/calendar/feed", headers=pro_headers).json
    assert first["webcal_url"] == "webcal://" + first["url"].split("://", 1)[1]
    assert gateway.get("/calendar/feed", headers=pro_headers).json == first  # stable until rotated

    rotated = gateway.post("/calendar/feed/rotate", headers=pro_headers)

    assert rotated.status_code == 200 and rotated.json["url"] != first["url"]
    old = gateway.get(urlsplit(first["url"]).path)
    assert old.status_code == 404 and old.headers["Content-Type"] == "application/problem+json"
    assert gateway.get(urlsplit(rotated.json["url"]).path).status_code == 200


def test_conditional_requests_answer_304_until_something_changes(gateway, uow, pro, pro_headers,
                                                                  hour_service):
    client = make_client(uow.session, pro, name="Eva Ruiz")
    appointment = make_appointment(uow.session, pro, service=hour_service, client=client,
                                   start=NOW + dt.timedelta(days=5))
    uow.commit()
    path = _feed_path(gateway, pro_headers)
    first = gateway.get(path)
    etag = first.headers["ETag"]

    again = gateway.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""

    appointment.status, appointment.sequence = AppointmentStatus.cancelled_by_professional, 1
    appointment.cancelled_at = NOW
    uow.commit()
    changed = gateway.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert str(_events(changed.data)[appointment_uid(appointment.id)]["STATUS"]) == "CANCELLED"


def test_feed_endpoints_need_a_professional_and_tokens_stay_per_professional(gateway, uow, pro, pro_headers):
    other = make_professional(uow.session, email="other-cal@example.com")
    uow.commit()
    assert gateway.get("/calendar/feed").status_code == 401
    assert gateway.post("/calendar/feed/rotate").status_code == 401
    mine = gateway.get("/calendar/feed", headers=pro_headers).json["url"]
    theirs = gateway.get("/calendar/feed", headers=headers_for(other)).json["url"]
    assert mine != theirs
    assert gateway.get("/calendar/feed/not-a-token.ics").status_code == 404
    assert gateway.get("/calendar/feed/" + "A" * 43 + ".ics").status_code == 404
