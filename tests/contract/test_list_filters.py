"""Every query parameter of every list, through the gateway, as a browser sends it: percent-encoded text.

Each test writes a small world, then asks the list one query string at a time: valid ones answer 200 with
exactly the right rows, invalid ones 422 problem+json naming the parameter.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from shared import models as m
from shared.notifications import outbox
from tests.availability.dates import upcoming
from tests.factories import (
    bearer,
    headers_for,
    make_admin,
    make_appointment,
    make_block,
    make_client,
    make_professional,
    make_service,
)

MADRID = ZoneInfo("Europe/Madrid")
PROBLEM = "application/problem+json"
TOO_BIG = "9" * 20
# Refused by every list: paging out of range or not a number, a parameter the list does not know.
PAGING_ERRORS = [("limit", "0"), ("limit", "201"), ("limit", "ten"), ("offset", "-1"), ("offset", "1.5")]


def url(path: str, params: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def ids_of(gateway, path: str, params: list[tuple[str, str]], headers: dict) -> list[int] | tuple:
    response = gateway.get(url(path, params), headers=headers)
    if response.status_code != 200:
        return response.status_code, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def refusals(gateway, path: str, cases: list[list[tuple[str, str]]], headers: dict) -> list:
    """The cases not answered with a 422 problem naming their (first) parameter ("status.0" names an item
    of a repeatable one)."""
    wrong = []
    for params in cases:
        response = gateway.get(url(path, params), headers=headers)
        body = response.get_json() or {}
        named = {key.split(".")[0] for key in body.get("errors", {})}
        if (response.status_code, response.mimetype) != (422, PROBLEM) or params[0][0] not in named:
            wrong.append((params, response.status_code, body))
    return wrong


def _invalid_everywhere(field_cases: list[list[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    return field_cases + [[pair] for pair in PAGING_ERRORS] + [[("unknown", "1")]]


@pytest.fixture
def booked(uow):
    """A professional with three clients, two services and three appointments; another tenant's too."""
    session = uow.session
    pro = make_professional(session, email="pro@example.com", booking_advance_days=365,
                            minimum_notice_minutes=0)
    therapy = make_service(session, pro, name="Therapy", duration_minutes=60)
    coaching = make_service(session, pro, name="Coaching", duration_minutes=30)
    ana = make_client(session, pro, name="Ana López", email="ana@example.com", phone="+34 600 111 222")
    bruno = make_client(session, pro, name="Bruno Díaz", email="bruno@example.com")
    carla = make_client(session, pro, name="Carla 100%", email="carla@demo.org")
    first = make_appointment(session, pro, service=therapy, client=ana,
                             start=dt.datetime(2030, 6, 3, 10, tzinfo=MADRID))
    second = make_appointment(session, pro, service=coaching, client=bruno, status="pending",
                              start=dt.datetime(2030, 6, 4, 10, tzinfo=MADRID))
    third = make_appointment(session, pro, service=coaching, client=ana, status="cancelled_by_client",
                             start=dt.datetime(2030, 6, 5, 23, 30, tzinfo=MADRID))
    other = make_professional(session, email="other@example.com", is_active=False)
    other_client = make_client(session, other, name="Ana Other", email="ana@other.example")
    make_appointment(session, other, service=make_service(session, other), client=other_client,
                     start=dt.datetime(2030, 6, 3, 10, tzinfo=MADRID))
    uow.commit()
    return {"pro": pro, "other": other, "therapy": therapy, "coaching": coaching, "ana": ana,
            "bruno": bruno, "carla": carla, "other_client": other_client,
            "appointments": (first.id, second.id, third.id)}


def test_appointments_filters(gateway, booked):
    first, second, third = booked["appointments"]
    ana, coaching = str(booked["ana"].id), str(booked["coaching"].id)
    headers = headers_for(booked["pro"])
    expected = {
        (): [first, second, third],
        (("client_id", ana),): [first, third],
        (("service_id", coaching),): [second, third],
        (("client_id", ana), ("service_id", coaching)): [third],
        (("client_id", str(booked["bruno"].id)), ("service_id", str(booked["therapy"].id))): [],
        (("client_id", str(booked["other_client"].id)),): [],
        (("client_id", ""),): [first, second, third],
        (("status", "pending"),): [second],
        (("status", "pending"), ("status", "confirmed")): [first, second],
        (("status", "confirmed"), ("client_id", ana)): [first],
        (("from", "2030-06-04"),): [second, third],
        (("to", "2030-06-04"),): [first, second],
        (("from", "2030-06-04"), ("to", "2030-06-04")): [second],
        (("from", "2030-06-05T23:00:00+02:00"),): [third],
        (("from", "2030-06-05T21:45:00Z"), ("to", "2030-06-06T00:00:00+02:00")): [third],
        (("limit", "1"), ("offset", "1")): [second],
        (("limit", "2"),): [first, second],
    }

    found = {params: ids_of(gateway, "/appointments", list(params), headers) for params in expected}

    assert found == expected
    invalid = _invalid_everywhere([
        [("client_id", "abc")], [("client_id", "1.0")], [("client_id", "0")], [("client_id", "-1")],
        [("client_id", "+1")], [("client_id", " 1")], [("client_id", TOO_BIG)], [("client_id", "١")],
        [("client_id", ana), ("client_id", ana)], [("service_id", "x")], [("service_id", "1e3")],
        [("service_id", TOO_BIG)], [("status", "nope")], [("status", "PENDING")], [("from", "2030-13-01")],
        [("from", "2030-06-04T10:00")], [("to", "tomorrow")], [("to", "2030-06-03"), ("from", "2030-06-04")],
        [("from", "1999-12-31")],
    ])
    assert refusals(gateway, "/appointments", invalid, headers) == []


def test_clients_filters(gateway, booked):
    ana, bruno, carla = (booked[name].id for name in ("ana", "bruno", "carla"))
    headers = headers_for(booked["pro"])
    expected = {
        (): [ana, bruno, carla],
        (("name", "ana"),): [ana],
        (("name", "LÓPEZ"),): [ana],
        (("name", "  díaz "),): [bruno],
        (("email", "example.com"),): [ana, bruno],
        (("email", "@demo."),): [carla],
        (("q", "carla"),): [carla],
        (("q", "example"),): [ana, bruno],
        (("name", "a"), ("email", "example")): [ana, bruno],
        (("name", "100%"),): [carla],
        (("name", "%"),): [carla],
        (("name", "_"),): [],
        (("name", "nobody"),): [],
        (("name", ""),): [ana, bruno, carla],
        (("limit", "1"), ("offset", "2")): [carla],
    }

    found = {params: ids_of(gateway, "/clients", list(params), headers) for params in expected}

    assert found == expected
    invalid = _invalid_everywhere([
        [("name", "x" * 201)], [("email", "e" * 201)], [("q", "q" * 201)], [("name", "a"), ("name", "b")],
    ])
    assert refusals(gateway, "/clients", invalid, headers) == []


def test_appointment_requests_filters(gateway, booked, uow):
    pro, therapy = booked["pro"], booked["therapy"]
    start = dt.datetime(2030, 7, 1, 9, tzinfo=MADRID)
    requests = [m.AppointmentRequest(professional_id=pro.id, service_id=therapy.id,
                                     requested_datetime=start + dt.timedelta(days=day),
                                     end_datetime=start + dt.timedelta(days=day, hours=1),
                                     client_name=name, client_email=f"{name.lower()}@example.com",
                                     status=m.RequestStatus(status))
                for day, name, status in ((0, "Rita", "pending"), (1, "Sam", "rejected"),
                                          (2, "Tea", "pending"))]
    uow.session.add_all(requests)
    uow.commit()
    rita, sam, tea = (request.id for request in requests)
    headers = headers_for(pro)
    expected = {
        (): [rita, sam, tea],
        (("status", "pending"),): [rita, tea],
        (("status", "pending"), ("status", "rejected")): [rita, sam, tea],
        (("status", "rejected"),): [sam],
        (("status", "expired"),): [],
        (("status", ""),): [rita, sam, tea],
        (("limit", "1"), ("offset", "1")): [sam],
    }

    found = {params: ids_of(gateway, "/appointment-requests", list(params), headers) for params in expected}

    assert found == expected
    invalid = _invalid_everywhere([[("status", "nope")], [("status", "Pending")], [("status", "1")]])
    assert refusals(gateway, "/appointment-requests", invalid, headers) == []


def test_notifications_filters(gateway, booked, uow):
    pro = booked["pro"]
    written = []
    for day, status in ((1, "pending"), (2, "sent"), (3, "failed")):
        nid = outbox.enqueue(uow.session, type="booking_confirmation", recipient="ana@example.com",
                             professional_id=pro.id)
        sent_at = dt.datetime(2030, 1, day, 12, tzinfo=dt.UTC) if status == "sent" else None
        uow.session.execute(update(m.Notification).where(m.Notification.id == nid).values(
            created_at=dt.datetime(2030, 1, day, 10, tzinfo=dt.UTC), status=m.NotificationStatus(status),
            sent_at=sent_at))
        written.append(nid)
    uow.commit()
    pending, sent, failed = written
    headers = headers_for(pro)
    expected = {
        (): [failed, sent, pending],
        (("status", "sent"),): [sent],
        (("status", "failed"),): [failed],
        (("status", "skipped"),): [],
        (("from", "2030-01-02T10:00:00Z"),): [failed, sent],
        (("to", "2030-01-02T10:00:00Z"),): [pending],
        (("from", "2030-01-02T11:00:00+01:00"), ("to", "2030-01-03T11:00:00+01:00")): [sent],
        (("status", "pending"), ("from", "2030-01-01T00:00:00Z")): [pending],
        (("limit", "1"),): [failed],
    }

    found = {params: ids_of(gateway, "/notifications", list(params), headers) for params in expected}

    assert found == expected
    invalid = _invalid_everywhere([
        [("status", "nope")], [("status", "sent"), ("status", "failed")], [("from", "2030-01-02")],
        [("from", "2030-01-02T10:00:00")], [("to", "soon")],
        [("to", "2030-01-01T00:00:00Z"), ("from", "2030-01-02T00:00:00Z")],
    ])
    assert refusals(gateway, "/notifications", invalid, headers) == []


def test_admin_professionals_filters(gateway, booked, uow):
    admin = make_admin(uow.session, email="ops@example.com")
    uow.commit()
    pro, other = booked["pro"].id, booked["other"].id
    headers = bearer(admin)
    expected = {
        (): [other, pro],
        (("is_active", "true"),): [pro],
        (("is_active", "false"),): [other],
        (("q", "other@"),): [other],
        (("q", booked["pro"].public_slug),): [pro],
        (("q", "Dr. Test"),): [other, pro],
        (("q", "nobody"),): [],
        (("q", "example.com"), ("is_active", "false")): [other],
        (("limit", "1"), ("offset", "1")): [pro],
    }

    found = {params: ids_of(gateway, "/admin/professionals", list(params), headers) for params in expected}

    assert found == expected
    invalid = _invalid_everywhere([
        [("is_active", "yes")], [("is_active", "1")], [("is_active", "TRUE")], [("q", "q" * 201)],
    ])
    assert refusals(gateway, "/admin/professionals", invalid, headers) == []


@pytest.mark.parametrize("who", ["professional", "public"])
def test_slots_filters(gateway, booked, uow, who):
    pro, therapy = booked["pro"], booked["therapy"]
    make_block(uow.session, pro, weekday=0, start="09:00", end="11:00")
    uow.commit()
    monday = upcoming(0)
    public = f"/public/professionals/{pro.public_slug}/slots"
    path = "/availability/slots" if who == "professional" else public
    headers = headers_for(pro) if who == "professional" else {}

    def starts(params):
        response = gateway.get(url(path, params), headers=headers)
        if response.status_code != 200:
            return response.status_code, response.get_json()
        body = response.get_json()
        return body["timezone"], [slot["start_datetime"] for slot in body["slots"]]

    service = str(therapy.id)
    later = monday + dt.timedelta(days=7)

    def at(day: dt.date, hour: int, zone=MADRID) -> str:
        return dt.datetime.combine(day, dt.time(hour), MADRID).astimezone(zone).isoformat()

    expected = {
        (("service_id", service), ("date", str(monday))): ("Europe/Madrid", [at(monday, 9), at(monday, 10)]),
        (("service_id", service), ("date", str(monday + dt.timedelta(days=1)))): ("Europe/Madrid", []),
        (("service_id", service), ("from", str(monday)), ("to", str(later))): (
            "Europe/Madrid", [at(day, hour) for day in (monday, later) for hour in (9, 10)]),
        (("service_id", service), ("date", str(monday)), ("tz", "UTC")): (
            "UTC", [at(monday, 9, dt.UTC), at(monday, 10, dt.UTC)]),
        (("service_id", service), ("date", str(monday)), ("tz", "")): (
            "Europe/Madrid", [at(monday, 9), at(monday, 10)]),
    }

    found = {params: starts(list(params)) for params in expected}

    assert found == expected
    valid_date = ("date", str(monday))
    invalid = [
        [("service_id", "abc"), valid_date], [("service_id", "1.0"), valid_date],
        [("service_id", "0"), valid_date],
        [("service_id", TOO_BIG), valid_date], [("service_id", " 1"), valid_date],
        [("date", "2030-02-30"), ("service_id", service)], [("date", "monday"), ("service_id", service)],
        [("to", str(monday)), ("from", str(later)), ("service_id", service)],
        [("to", str(monday + dt.timedelta(days=70))), ("from", str(monday)), ("service_id", service)],
        [("date", str(monday)), ("from", str(monday)), ("to", str(monday)), ("service_id", service)],
        [("tz", "Mars/Olympus"), ("service_id", service), valid_date],
        [("unknown", "1"), ("service_id", service), valid_date],
    ]
    assert refusals(gateway, path, invalid, headers) == []
    half_ranges = (([("from", str(monday)), ("service_id", service)], "to"),
                   ([("to", str(monday)), ("service_id", service)], "from"))
    for params, field in (([valid_date], "service_id"), *half_ranges):
        missing = gateway.get(url(path, params), headers=headers)
        assert (missing.status_code, missing.mimetype) == (422, PROBLEM)
        assert field in missing.get_json()["errors"]
