"""GET /admin/stats: appointments by status, clients and active services over a period, overall and per
professional, in a fixed number of statements."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from sqlalchemy import event

from shared.admin.service import period
from tests.factories import make_appointment, make_client, make_professional, make_service

MARCH = "?from=2027-03-01&to=2027-03-31"


def at(day: int, hour: int = 10, month: int = 3) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, 0, tzinfo=dt.UTC)


@pytest.fixture
def activity(uow):
    """Ana: 4 appointments in March (2 clients), one in February, one on 1 April; Bruno: one pending;
    Carla: nothing."""
    s = uow.session
    ana = make_professional(s, email="ana@example.com", public_slug="ana")
    bruno = make_professional(s, email="bruno@example.com", public_slug="bruno")
    carla = make_professional(s, email="carla@example.com", public_slug="carla", is_active=False)
    bruno.created_at = at(10)
    therapy = make_service(s, ana, name="Therapy", duration_minutes=30)
    make_service(s, ana, name="Retired", is_active=False)
    coaching = make_service(s, bruno, name="Coaching")
    luis, marta = make_client(s, ana, name="Luis"), make_client(s, ana, name="Marta")
    luis.created_at = at(5)
    pablo = make_client(s, bruno, name="Pablo")
    make_appointment(s, ana, service=therapy, client=luis, start=at(1, 0), status="confirmed")
    make_appointment(s, ana, service=therapy, client=luis, start=at(2), status="cancelled_by_client")
    make_appointment(s, ana, service=therapy, client=marta, start=at(3), status="completed")
    # The last half hour of the period, given as a date, is inside it; 1 April is not.
    make_appointment(s, ana, service=therapy, client=marta, start=at(31, 23).replace(minute=30))
    make_appointment(s, ana, service=therapy, client=marta, start=at(1, 0, month=4))
    make_appointment(s, ana, service=therapy, client=marta, start=at(27, month=2))
    make_appointment(s, bruno, service=coaching, client=pablo, start=at(15), status="pending")
    uow.commit()
    return {"ana": ana, "bruno": bruno, "carla": carla}


def counts(**given: int) -> dict[str, int]:
    statuses = ("pending", "confirmed", "completed", "cancelled_by_professional", "cancelled_by_client",
                "held", "expired")
    result = {status: given.get(status, 0) for status in statuses}
    result["total"] = sum(n for status, n in result.items() if status != "expired")
    return result


def stats(gateway, headers, query: str = MARCH) -> dict:
    response = gateway.get(f"/admin/stats{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_stats_total_the_period_across_professionals(gateway, admin_headers, activity):
    body = stats(gateway, admin_headers)

    assert body["from"] == "2027-03-01T00:00:00+00:00"
    assert body["to"] == "2027-04-01T00:00:00+00:00"
    assert body["totals"] == {
        "appointments": counts(confirmed=2, completed=1, cancelled_by_client=1, pending=1),
        "clients": 3, "new_clients": 1, "active_services": 2,
        "professionals": 3, "active_professionals": 2, "new_professionals": 1,
    }


def test_stats_list_each_professional_busiest_first(gateway, admin_headers, activity):
    page = stats(gateway, admin_headers)["professionals"]

    assert {k: page[k] for k in ("total", "limit", "offset")} == {"total": 3, "limit": 50, "offset": 0}
    ana, bruno, carla = page["items"]
    assert ana == {"professional_id": activity["ana"].id, "business_name": activity["ana"].business_name,
                   "public_slug": "ana", "is_active": True,
                   "appointments": counts(confirmed=2, completed=1, cancelled_by_client=1),
                   "clients": 2, "new_clients": 1, "active_services": 1}
    assert (bruno["public_slug"], bruno["appointments"], bruno["clients"], bruno["active_services"]) == (
        "bruno", counts(pending=1), 1, 1)
    assert carla == {"professional_id": activity["carla"].id,
                     "business_name": activity["carla"].business_name, "public_slug": "carla",
                     "is_active": False, "appointments": counts(), "clients": 0, "new_clients": 0,
                     "active_services": 0}


def test_the_per_professional_rows_are_paged(gateway, admin_headers, activity):
    page = stats(gateway, admin_headers, MARCH + "&limit=1&offset=1")["professionals"]

    assert page["total"] == 3
    assert [item["public_slug"] for item in page["items"]] == ["bruno"]


def test_datetime_bounds_are_exact(gateway, admin_headers, activity):
    query = "?from=" + quote("2027-03-02T10:00:00+01:00") + "&to=" + quote("2027-03-03T10:00:00Z")
    body = stats(gateway, admin_headers, query)

    assert (body["from"], body["to"]) == ("2027-03-02T09:00:00+00:00", "2027-03-03T10:00:00+00:00")
    # 2 March 10:00 UTC is inside; 3 March 10:00 UTC is the (excluded) end.
    assert body["totals"]["appointments"] == counts(cancelled_by_client=1)


def test_without_a_period_the_last_30_days_are_counted(gateway, admin_headers, db_url):
    body = stats(gateway, admin_headers, "")

    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    end = dt.datetime.combine(tomorrow, dt.time(), tzinfo=dt.UTC)
    assert dt.datetime.fromisoformat(body["to"]) == end
    assert dt.datetime.fromisoformat(body["from"]) == end - dt.timedelta(days=30)
    assert body["totals"]["appointments"]["total"] == 0


def test_period_defaults_and_bounds():
    today = dt.date(2027, 3, 15)
    utc = dt.UTC
    assert period(None, None, today) == (dt.datetime(2027, 2, 14, tzinfo=utc),
                                         dt.datetime(2027, 3, 16, tzinfo=utc))
    assert period(dt.date(2027, 3, 1), None, today)[0] == dt.datetime(2027, 3, 1, tzinfo=utc)
    assert period(None, dt.date(2027, 1, 31), today) == (dt.datetime(2027, 1, 2, tzinfo=utc),
                                                         dt.datetime(2027, 2, 1, tzinfo=utc))


@pytest.mark.parametrize("query", ["?from=2027-03-31&to=2027-03-01", "?from=2027-13-01", "?to=yesterday",
                                   "?from=2027-03-01T10:00:00", "?from=1999-12-31", "?from=2030-01-01",
                                   "?from=2027-03-02T00:00:00Z&to=2027-03-01", "?limit=500"])
def test_a_bad_period_is_422(gateway, admin_headers, db_url, query):
    response = gateway.get(f"/admin/stats{query}", headers=admin_headers)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_stats_take_the_same_number_of_statements_for_any_number_of_professionals(gateway, admin_headers, uow,
                                                                                   activity):
    from shared.db import get_engine

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def measure() -> int:
        statements.clear()
        event.listen(get_engine(), "before_cursor_execute", count)
        try:
            stats(gateway, admin_headers)
        finally:
            event.remove(get_engine(), "before_cursor_execute", count)
        return len(statements)

    few = measure()
    for n in range(6):
        pro = make_professional(uow.session, email=f"more{n}@example.com")
        service = make_service(uow.session, pro)
        client = make_client(uow.session, pro)
        make_appointment(uow.session, pro, service=service, client=client, start=at(20))
    uow.commit()

    assert measure() == few
    # Besides the caller's account check, the statistics themselves are two statements.
    assert len([s for s in statements if "appointments" in s]) == 2
