"""Slots over HTTP, for the professional and for the public page: local dates, zones, DST, limits, 404s."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from shared.models import Professional, Service, User
from tests.availability.dates import MADRID, local_today, next_offset_change, upcoming
from tests.factories import headers_for, make_appointment, make_block, make_client, make_service

NEW_YORK = "America/New_York"
PUBLIC = "/public/professionals/open-practice/slots"


def local(day: dt.date, hour: int, minute: int = 0, zone: str = MADRID) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo(zone))


def pairs(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.get_json()
    return [(slot["start_datetime"], slot["end_datetime"]) for slot in response.get_json()["slots"]]


@pytest.fixture
def monday(uow, open_professional):
    """A Monday at least a week ahead, with the professional's Monday 09:00-11:00 weekly block."""
    make_block(uow.session, open_professional, weekday=0, start="09:00", end="11:00")
    uow.commit()
    return upcoming(0)


def test_professional_sees_the_slots_of_a_local_date(gateway, headers, service, monday):
    response = gateway.get(f"/availability/slots?service_id={service.id}&date={monday}", headers=headers)

    assert response.get_json()["service_id"] == service.id
    assert response.get_json()["timezone"] == MADRID
    assert pairs(response) == [(local(monday, 9).isoformat(), local(monday, 10).isoformat()),
                               (local(monday, 10).isoformat(), local(monday, 11).isoformat())]


def test_range_of_dates_includes_both_ends(gateway, headers, service, monday):
    next_monday = monday + dt.timedelta(days=7)
    url = f"/availability/slots?service_id={service.id}&from={monday}&to={next_monday}"

    found = pairs(gateway.get(url, headers=headers))

    assert [start[:16] for start, _ in found] == [f"{monday}T09:00", f"{monday}T10:00",
                                                   f"{next_monday}T09:00", f"{next_monday}T10:00"]


def test_slots_presented_in_another_zone_keep_the_same_instants(gateway, headers, service, monday):
    url = f"/availability/slots?service_id={service.id}&date={monday}&tz={NEW_YORK}"

    response = gateway.get(url, headers=headers)

    assert response.get_json()["timezone"] == NEW_YORK
    ny = ZoneInfo(NEW_YORK)
    assert pairs(response) == [(local(monday, 9).astimezone(ny).isoformat(),
                                local(monday, 10).astimezone(ny).isoformat()),
                               (local(monday, 10).astimezone(ny).isoformat(),
                                local(monday, 11).astimezone(ny).isoformat())]
    assert all(start.startswith(f"{monday}T0") for start, _ in pairs(response))


def test_dates_are_the_professionals_local_dates_whatever_the_presentation_zone(gateway, headers, service,
                                                                                open_professional, uow):
    day = upcoming(2)
    make_block(uow.session, open_professional, specific_date=day, start="00:00", end="01:00")
    uow.commit()

    asked_for_day = pairs(gateway.get(f"/availability/slots?service_id={service.id}&date={day}&tz={NEW_YORK}",
                                      headers=headers))
    asked_for_eve = pairs(gateway.get(
        f"/availability/slots?service_id={service.id}&date={day - dt.timedelta(days=1)}&tz={NEW_YORK}",
        headers=headers))

    assert asked_for_day == [(local(day, 0).astimezone(ZoneInfo(NEW_YORK)).isoformat(),
                              local(day, 1).astimezone(ZoneInfo(NEW_YORK)).isoformat())]
    assert asked_for_day[0][0].startswith(f"{day - dt.timedelta(days=1)}T18:00")
    assert asked_for_eve == []


def test_spring_forward_day_in_madrid_skips_the_missing_hour(gateway, headers, service, open_professional,
                                                             uow):
    day = next_offset_change(MADRID, forward=True)
    make_block(uow.session, open_professional, specific_date=day, start="01:00", end="05:00")
    uow.commit()

    found = pairs(gateway.get(f"/availability/slots?service_id={service.id}&date={day}", headers=headers))

    assert found == [(f"{day}T01:00:00+01:00", f"{day}T03:00:00+02:00"),
                     (f"{day}T03:00:00+02:00", f"{day}T04:00:00+02:00"),
                     (f"{day}T04:00:00+02:00", f"{day}T05:00:00+02:00")]


def test_fall_back_day_in_madrid_offers_the_repeated_hour_once(gateway, headers, service, open_professional,
                                                               uow):
    day = next_offset_change(MADRID, forward=False)
    make_block(uow.session, open_professional, specific_date=day, start="01:00", end="04:00")
    uow.commit()

    found = pairs(gateway.get(f"/availability/slots?service_id={service.id}&date={day}", headers=headers))

    assert found == [(f"{day}T01:00:00+02:00", f"{day}T02:00:00+02:00"),
                     (f"{day}T02:00:00+02:00", f"{day}T02:00:00+01:00"),
                     (f"{day}T03:00:00+01:00", f"{day}T04:00:00+01:00")]


def test_dst_day_seen_from_new_york(gateway, headers, service, open_professional, uow):
    day = next_offset_change(MADRID, forward=True)
    make_block(uow.session, open_professional, specific_date=day, start="01:00", end="05:00")
    uow.commit()

    found = pairs(gateway.get(f"/availability/slots?service_id={service.id}&date={day}&tz={NEW_YORK}",
                              headers=headers))

    ny = ZoneInfo(NEW_YORK)
    expected_utc = [dt.datetime.fromisoformat(s) for s in (f"{day}T00:00:00+00:00", f"{day}T01:00:00+00:00",
                                                           f"{day}T02:00:00+00:00")]
    assert [dt.datetime.fromisoformat(start) for start, _ in found] == expected_utc
    assert [start for start, _ in found] == [moment.astimezone(ny).isoformat() for moment in expected_utc]


def test_booked_and_time_off_hours_are_not_offered(gateway, headers, service, open_professional, monday, uow):
    client = make_client(uow.session, open_professional)
    make_appointment(uow.session, open_professional, service=service, client=client, start=local(monday, 9))
    uow.commit()
    next_monday = monday + dt.timedelta(days=7)
    time_off = gateway.post("/availability/time-off", headers=headers,
                            json={"start_datetime": local(next_monday, 10).isoformat(),
                                  "end_datetime": local(next_monday, 11).isoformat()})
    assert time_off.status_code == 201

    found = pairs(gateway.get(f"/availability/slots?service_id={service.id}&from={monday}&to={next_monday}",
                              headers=headers))

    assert [start[:16] for start, _ in found] == [f"{monday}T10:00", f"{next_monday}T09:00"]


def test_a_block_created_through_the_api_is_offered(gateway, headers, service):
    day = upcoming(4)
    created = gateway.post("/availability/blocks", headers=headers,
                           json={"weekday": 4, "start_time": "16:00", "end_time": "17:00"})
    assert created.status_code == 201

    found = pairs(gateway.get(f"/availability/slots?service_id={service.id}&date={day}", headers=headers))

    assert found == [(local(day, 16).isoformat(), local(day, 17).isoformat())]


def test_past_dates_offer_nothing(gateway, headers, service, monday):
    past = local_today() - dt.timedelta(days=10)

    response = gateway.get(f"/availability/slots?service_id={service.id}&date={past}", headers=headers)

    assert pairs(response) == []


def test_a_range_of_62_days_is_accepted(gateway, headers, service, monday):
    start = local_today()
    url = f"/availability/slots?service_id={service.id}&from={start}&to={start + dt.timedelta(days=61)}"

    found = pairs(gateway.get(url, headers=headers))

    assert len(found) >= 2 * 8


BAD_QUERIES = [
    ("date=2031-01-01", "service_id"),
    ("service_id=abc&date=2031-01-01", "service_id"),
    ("service_id=0&date=2031-01-01", "service_id"),
    ("service_id={sid}", "from"),
    ("service_id={sid}&from=2031-01-01", "to"),
    ("service_id={sid}&to=2031-01-01", "from"),
    ("service_id={sid}&date=2031-02-30", "date"),
    ("service_id={sid}&date=01/02/2031", "date"),
    ("service_id={sid}&date=2031-01-01&from=2031-01-01&to=2031-01-02", "date"),
    ("service_id={sid}&from=2031-01-02&to=2031-01-01", "to"),
    ("service_id={sid}&from=2031-01-01&to=2031-03-04", "to"),
    ("service_id={sid}&date=2031-01-01&tz=Mars/Olympus", "tz"),
    ("service_id={sid}&date=2031-01-01&tz=localtime", "tz"),
    ("service_id={sid}&date=2031-01-01&tz=../../etc/passwd", "tz"),
    ("service_id={sid}&date=2031-01-01&colour=blue", "colour"),
    ("service_id={sid}&date=2031-01-01&date=2031-01-02", "date"),
]


@pytest.mark.parametrize(("query", "field"), BAD_QUERIES)
def test_bad_slot_queries_are_422(gateway, headers, service, query, field):
    response = gateway.get(f"/availability/slots?{query.format(sid=service.id)}", headers=headers)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize(("query", "field"), BAD_QUERIES)
def test_bad_public_slot_queries_are_422(gateway, service, query, field):
    response = gateway.get(f"{PUBLIC}?{query.format(sid=service.id)}")

    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_inactive_unknown_or_foreign_services_are_404(gateway, headers, service, open_professional,
                                                      other_professional, uow):
    retired = make_service(uow.session, open_professional, is_active=False)
    theirs = make_service(uow.session, other_professional)
    uow.commit()
    day = upcoming(0)

    for service_id in (retired.id, theirs.id, 999999):
        response = gateway.get(f"/availability/slots?service_id={service_id}&date={day}", headers=headers)
        assert response.status_code == 404, service_id
        public = gateway.get(f"{PUBLIC}?service_id={service_id}&date={day}")
        assert public.status_code == 404, service_id


def test_professional_slots_need_a_token(gateway, service):
    assert gateway.get(f"/availability/slots?service_id={service.id}&date=2031-01-01").status_code == 401


def test_public_slots_need_no_login_and_match_the_professionals_view(gateway, headers, service, monday):
    query = f"service_id={service.id}&from={monday}&to={monday + dt.timedelta(days=7)}&tz={NEW_YORK}"

    public = gateway.get(f"{PUBLIC}?{query}")
    private = gateway.get(f"/availability/slots?{query}", headers=headers)

    assert public.status_code == 200
    assert public.get_json() == private.get_json()
    assert len(public.get_json()["slots"]) == 4
    assert gateway.get(f"/function/public{PUBLIC}?{query}").get_json() == public.get_json()


def test_public_slots_of_an_unknown_or_inactive_professional_are_404(gateway, service, open_professional, uow,
                                                                    monday):
    query = f"service_id={service.id}&date={monday}"
    assert gateway.get(f"/public/professionals/nobody-here/slots?{query}").status_code == 404

    uow.session.execute(update(User).where(User.id == open_professional.user_id).values(is_active=False))
    uow.commit()
    assert gateway.get(f"{PUBLIC}?{query}").status_code == 404

    uow.session.execute(update(User).where(User.id == open_professional.user_id).values(is_active=True))
    uow.session.execute(update(Professional).where(Professional.id == open_professional.id)
                        .values(is_active=False))
    uow.commit()
    assert gateway.get(f"{PUBLIC}?{query}").status_code == 404


def test_a_deactivated_service_disappears_from_the_public_slots(gateway, headers, service, monday, uow):
    query = f"service_id={service.id}&date={monday}"
    assert len(pairs(gateway.get(f"{PUBLIC}?{query}"))) == 2

    assert gateway.delete(f"/services/{service.id}", headers=headers).status_code == 204

    assert gateway.get(f"{PUBLIC}?{query}").status_code == 404
    uow.session.expire_all()
    assert uow.session.get(Service, service.id).is_active is False


def test_another_professionals_token_cannot_read_these_slots(gateway, service, other_professional, monday):
    response = gateway.get(f"/availability/slots?service_id={service.id}&date={monday}",
                           headers=headers_for(other_professional))

    assert response.status_code == 404


def test_public_slots_are_rate_limited_per_client_address(gateway, service, monday):
    url = f"{PUBLIC}?service_id={service.id}&date={monday}"
    statuses = [gateway.get(url).status_code for _ in range(120)]

    refused = gateway.get(url)

    assert set(statuses) == {200}
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
