"""The professional books a weekly series: every occurrence a real appointment, all or nothing (or skipping
the taken times), at one local wall-clock time across DST changes; shown over HTTP and by GET."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shared import models as m
from shared.appointments.actors import Actor
from shared.appointments.series import book_series
from shared.errors import Conflict, ValidationFailed
from tests.appointments.conftest import NOW, madrid
from tests.factories import headers_for, make_appointment, make_professional, make_service

SANTIAGO = ZoneInfo("America/Santiago")
# Tuesday 2030-09-17 10:00 Madrid; summer time ends on Sunday 2030-10-27, within twelve weeks.
FIRST = madrid(2030, 9, 17, 10)


def _series(run, professional, service, *, start=FIRST, every_weeks=1, now=NOW, **extra):
    booking_in = {"service_id": service.id, "start_datetime": start,
                  "recurrence": {"every_weeks": every_weeks, **extra.pop("bounds", {"count": 12})}, **extra}
    if "client_id" not in booking_in:
        booking_in["client"] = {"name": "Luis Weekly", "email": "luis@example.com", "phone": None}
    actor = Actor.professional(professional.id, professional.user_id, ip_address="203.0.113.7",
                               request_id="req-series")
    return run(book_series, actor=actor, booking_in=booking_in, now=now)


def _week(n: int, start: dt.datetime = FIRST) -> dt.datetime:
    """The n-th (1-based) weekly start at the local time of `start`."""
    zone = start.tzinfo
    return (start.replace(tzinfo=None) + dt.timedelta(weeks=n - 1)).replace(tzinfo=zone)


def test_a_twelve_week_series_across_dst_keeps_its_local_time_in_madrid(run, rows, professional, service):
    view = _series(run, professional, service)

    starts = [a.start_datetime for a in view.appointments]
    assert [s.replace(tzinfo=None) for s in starts] == [_week(n).replace(tzinfo=None) for n in range(1, 13)]
    assert {s.utcoffset() for s in starts} == {dt.timedelta(hours=2), dt.timedelta(hours=1)}
    assert view.skipped == [] and view.count == 12 and view.every_weeks == 1
    stored = rows(m.Appointment)
    assert len(stored) == 12 and {a.series_id for a in stored} == {view.id}
    assert [a.recurrence_start for a in stored] == [a.start_datetime for a in stored]
    assert all(a.end_datetime - a.start_datetime == dt.timedelta(hours=1) for a in stored)
    assert len(rows(m.PublicLink)) == 12  # each occurrence has its own client link
    assert len(rows(m.AuditLog, action="appointment.created")) == 12
    [notification] = rows(m.Notification)  # ONE confirmation for the series
    assert notification.type == "booking_confirmation" and notification.payload == {"series_id": view.id}


def test_a_twelve_week_series_across_dst_keeps_its_local_time_in_santiago(run, uow):
    professional = make_professional(uow.session, email="chile@example.com", timezone="America/Santiago")
    service = make_service(uow.session, professional, duration_minutes=50)
    uow.commit()
    # Santiago enters summer time on Sunday 2030-09-08.
    first = dt.datetime(2030, 8, 13, 9, 30, tzinfo=SANTIAGO)

    view = _series(run, professional, service, start=first)

    starts = [a.start_datetime.astimezone(SANTIAGO) for a in view.appointments]
    assert [(s.date(), s.time()) for s in starts] == [
        ((first + dt.timedelta(weeks=n)).date(), dt.time(9, 30)) for n in range(12)]
    assert len({s.utcoffset() for s in starts}) == 2


def test_a_conflict_in_week_nine_rejects_the_whole_series(run, rows, uow, professional, service, client):
    make_appointment(uow.session, professional, service=service, client=client,
                     start=_week(9) + dt.timedelta(minutes=30))
    uow.session.add(m.TimeOff(professional_id=professional.id, start_datetime=_week(11),
                              end_datetime=_week(11) + dt.timedelta(days=1)))
    uow.commit()

    with pytest.raises(Conflict) as refused:
        _series(run, professional, service, client_id=client.id)

    assert refused.value.extra["conflicts"] == [_week(9).isoformat(), _week(11).isoformat()]
    assert len(rows(m.Appointment)) == 1 and rows(m.AppointmentSeries) == []
    assert rows(m.Notification) == [] and rows(m.AuditLog) == []


def test_skip_conflicts_books_the_free_weeks_and_lists_the_others(run, rows, uow, professional, service,
                                                                   client):
    make_appointment(uow.session, professional, service=service, client=client, start=_week(9))
    uow.commit()

    view = _series(run, professional, service, client_id=client.id, skip_conflicts=True)

    assert len(view.appointments) == 11 and view.skipped == [_week(9)]
    assert _week(9) not in [a.start_datetime for a in view.appointments]
    assert len(rows(m.Appointment, series_id=view.id)) == 11


def test_until_is_inclusive_and_every_two_weeks(run, professional, service):
    view = _series(run, professional, service, every_weeks=2, bounds={"until": dt.date(2030, 10, 29)})

    assert [a.start_datetime.date() for a in view.appointments] == [
        dt.date(2030, 9, 17), dt.date(2030, 10, 1), dt.date(2030, 10, 15), dt.date(2030, 10, 29)]
    assert view.until == dt.date(2030, 10, 29) and view.count is None


@pytest.mark.parametrize(("until", "words"), [
    (dt.date(2030, 9, 16), "before the first"),
    (dt.date(2030, 9, 20), "at least 2"),
    (dt.date(2031, 9, 17), "at most 52"),
])
def test_an_until_that_gives_no_bookable_series_is_422(run, rows, professional, service, until, words):
    with pytest.raises(ValidationFailed) as refused:
        _series(run, professional, service, bounds={"until": until})

    assert words in refused.value.errors["recurrence"]["until"][0]
    assert rows(m.Appointment) == [] and rows(m.AppointmentSeries) == []


# Over HTTP


def _post(http, professional, **recurrence_and_more):
    return http.post("/appointments", headers=headers_for(professional), json={
        "service_id": recurrence_and_more.pop("service_id"), "start_datetime": FIRST.isoformat(),
        "client": {"name": "Luis Weekly", "email": "luis@example.com"}, **recurrence_and_more})


def test_post_with_recurrence_answers_the_series_and_get_shows_it(http, professional, service):
    response = _post(http, professional, service_id=service.id, recurrence={"every_weeks": 2, "count": 3})

    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == f"/appointment-series/{body['id']}"
    assert (body["every_weeks"], body["count"], body["until"], body["skipped"]) == (2, 3, None, [])
    assert [a["start_datetime"] for a in body["appointments"]] == [
        "2030-09-17T10:00:00+02:00", "2030-10-01T10:00:00+02:00", "2030-10-15T10:00:00+02:00"]
    assert {a["series_id"] for a in body["appointments"]} == {body["id"]}

    shown = http.get(f"/appointment-series/{body['id']}", headers=headers_for(professional))
    assert shown.status_code == 200 and shown.json == body
    one = http.get(f"/appointments/{body['appointments'][0]['id']}", headers=headers_for(professional))
    assert one.json["series_id"] == body["id"]


def test_a_single_appointment_reads_series_id_null(http, professional, service):
    response = _post(http, professional, service_id=service.id)

    assert response.status_code == 201 and response.json["series_id"] is None


def test_another_professionals_series_is_404(http, uow, professional, service):
    booked = _post(http, professional, service_id=service.id, recurrence={"every_weeks": 1, "count": 2}).json
    other = make_professional(uow.session, email="other@example.com")
    uow.commit()

    assert http.get(f"/appointment-series/{booked['id']}", headers=headers_for(other)).status_code == 404
    assert http.get("/appointment-series/99999999999999999999",
                    headers=headers_for(professional)).status_code == 404


@pytest.mark.parametrize("recurrence", [
    {"every_weeks": 0, "count": 3}, {"every_weeks": 5, "count": 3}, {"every_weeks": 1, "count": 1},
    {"every_weeks": 1, "count": 53}, {"every_weeks": 1, "count": 3, "until": "2030-12-01"},
    {"every_weeks": 1}, {"count": 3}, {"every_weeks": "1", "count": 3}, {"every_weeks": 1, "until": "soon"},
    {"every_weeks": 1, "until": "2030-09-01"}, {"every_weeks": 1, "until": "2035-01-01"},
    {"every_weeks": 1, "count": 3, "monthly": True}, "weekly", None,
])
def test_bad_recurrences_are_422_and_write_nothing(http, rows, professional, service, recurrence):
    response = _post(http, professional, service_id=service.id, recurrence=recurrence)

    assert response.status_code == 422, response.json
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert rows(m.Appointment) == [] and rows(m.AppointmentSeries) == []


def test_skip_conflicts_without_a_recurrence_is_422(http, professional, service):
    response = _post(http, professional, service_id=service.id, skip_conflicts=True)

    assert response.status_code == 422 and "skip_conflicts" in response.json["errors"]


def test_a_series_conflict_is_a_409_listing_every_taken_start(http, uow, professional, service, client):
    make_appointment(uow.session, professional, service=service, client=client, start=_week(2))
    uow.commit()

    response = _post(http, professional, service_id=service.id, recurrence={"every_weeks": 1, "count": 3})

    assert response.status_code == 409
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json["conflicts"] == ["2030-09-24T10:00:00+02:00"]


def test_the_bench_case_books_fifty_two_week_series_with_one_email_each(db_url, rows):
    from tests.benchmarks.report import Report
    from tests.benchmarks.series import REPEATS, WEEKS, series_booking

    report = Report()
    series_booking(report)

    [row] = report.rows
    assert row.case == "9" and f"for {WEEKS} appointments" in row.result
    assert len(rows(m.AppointmentSeries)) == REPEATS and len(rows(m.Appointment)) == REPEATS * WEEKS
    assert len(rows(m.Notification)) == REPEATS
