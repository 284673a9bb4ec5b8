"""Changing a weekly series: one occurrence, this and the following ones, or all (PUT and DELETE ?scope=),
all or nothing, never touching past or completed occurrences, with one e-mail for the batch."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared import linktokens
from shared import models as m
from shared.appointments.actors import Actor
from shared.appointments.series import book_series
from shared.appointments.status import cancel
from shared.appointments.update import update
from shared.errors import Conflict
from tests.appointments.conftest import NOW, madrid
from tests.factories import headers_for, make_appointment

FIRST = madrid(2030, 9, 17, 10)  # a Tuesday; Madrid leaves summer time on 2030-10-27


def _week(n: int, hour: int = 10, minute: int = 0, days: int = 0) -> dt.datetime:
    day = dt.date(2030, 9, 17) + dt.timedelta(weeks=n - 1, days=days)
    return madrid(day.year, day.month, day.day, hour, minute)


def _actor(professional):
    return Actor.professional(professional.id, professional.user_id, request_id="req-change")


@pytest.fixture
def series(run, professional, service, client):
    """Eight weekly appointments from FIRST, client `client`; its notifications are cleared."""
    view = run(book_series, actor=_actor(professional), booking_in={
        "service_id": service.id, "start_datetime": FIRST, "client_id": client.id,
        "recurrence": {"every_weeks": 1, "count": 8}}, now=NOW)
    run(lambda uow: (uow.session.execute(m.Notification.__table__.delete()), uow.commit()))
    return view


def _starts(rows, series_view):
    return [a.start_datetime for a in sorted(rows(m.Appointment, series_id=series_view.id),
                                             key=lambda a: a.recurrence_start)]


def test_this_and_following_move_to_a_new_local_time_and_one_email_tells_the_client(run, rows, professional,
                                                                                   series):
    third = series.appointments[2]

    view = run(update, actor=_actor(professional), appointment_id=third.id, scope="following",
               appointment_in={"start_datetime": _week(3, 11, 30)}, now=NOW)

    assert view.start_datetime == _week(3, 11, 30)
    assert _starts(rows, series) == [_week(1), _week(2)] + [_week(n, 11, 30) for n in range(3, 9)]
    [stored] = rows(m.AppointmentSeries)
    assert stored.sequence == 1
    [notification] = rows(m.Notification)
    assert notification.type == "rescheduled" and notification.appointment_id == third.id
    assert notification.payload["series_id"] == series.id
    assert notification.payload["previous_start"] == _week(3).astimezone(dt.UTC).isoformat()
    # Each moved occurrence keeps its place in the pattern (its calendar RECURRENCE-ID).
    places = {a.recurrence_start for a in rows(m.Appointment)}
    assert places == {a.start_datetime for a in series.appointments}
    assert len(rows(m.AuditLog, action="appointment.rescheduled")) == 6


def test_moving_all_a_day_later_keeps_the_local_time_across_dst(run, rows, professional, series):
    view = run(update, actor=_actor(professional), appointment_id=series.appointments[4].id, scope="all",
               appointment_in={"start_datetime": _week(5, days=1)}, now=NOW)

    assert view.start_datetime == _week(5, days=1)
    moved = _starts(rows, series)
    assert moved == [_week(n, days=1) for n in range(1, 9)]
    assert {s.astimezone(FIRST.tzinfo).time() for s in moved} == {dt.time(10)}


def test_moving_all_by_a_whole_week_lands_on_their_own_old_times(run, rows, professional, series):
    run(update, actor=_actor(professional), appointment_id=series.appointments[0].id, scope="all",
        appointment_in={"start_datetime": _week(2)}, now=NOW)

    assert _starts(rows, series) == [_week(n) for n in range(2, 10)]


def test_a_clash_of_one_moved_occurrence_refuses_the_whole_move_and_names_it(run, rows, uow, professional,
                                                                            service, client, series):
    make_appointment(uow.session, professional, service=service, client=client, start=_week(6, 12))
    uow.commit()

    with pytest.raises(Conflict) as refused:
        run(update, actor=_actor(professional), appointment_id=series.appointments[2].id, scope="following",
            appointment_in={"start_datetime": _week(3, 12)}, now=NOW)

    assert refused.value.extra["conflicts"] == [_week(6, 12).isoformat()]
    assert _starts(rows, series) == [_week(n) for n in range(1, 9)]
    assert rows(m.Notification) == [] and rows(m.AppointmentSeries)[0].sequence == 0


def test_past_and_completed_occurrences_are_never_changed_by_a_scope(run, rows, uow, professional, series):
    completed = uow.session.get(m.Appointment, series.appointments[1].id)
    completed.status = m.AppointmentStatus.completed
    uow.commit()
    later = _week(3, 12)  # between the third and the fourth week

    run(cancel, actor=_actor(professional), appointment_id=series.appointments[5].id, scope="all",
        reason="Moving away", now=later)

    statuses = [a.status.value for a in sorted(rows(m.Appointment), key=lambda a: a.recurrence_start)]
    assert statuses == ["confirmed", "completed", "confirmed"] + ["cancelled_by_professional"] * 5
    [notification] = rows(m.Notification)
    assert notification.type == "cancelled_by_professional"
    assert notification.appointment_id == series.appointments[3].id
    assert notification.payload == {"series_id": series.id, "reason": "Moving away", "scope": "all",
                                    "appointment_ids": [a.id for a in series.appointments[3:]]}


def test_one_occurrence_alone_is_changed_as_today_with_its_own_email(run, rows, professional, series):
    run(update, actor=_actor(professional), appointment_id=series.appointments[2].id,
        appointment_in={"start_datetime": _week(3, 12)}, now=NOW)

    assert _starts(rows, series) == [_week(1), _week(2), _week(3, 12)] + [_week(n) for n in range(4, 9)]
    [notification] = rows(m.Notification)
    assert notification.type == "rescheduled" and "series_id" not in notification.payload
    assert rows(m.AppointmentSeries)[0].sequence == 0


def test_confirming_the_following_pending_ones_is_one_confirmation(run, rows, uow, professional, series):
    uow.session.execute(m.Appointment.__table__.update().values(status="pending"))
    uow.commit()

    run(update, actor=_actor(professional), appointment_id=series.appointments[6].id, scope="following",
        appointment_in={"status": "confirmed"}, now=NOW)

    statuses = [a.status.value for a in sorted(rows(m.Appointment), key=lambda a: a.recurrence_start)]
    assert statuses == ["pending"] * 6 + ["confirmed"] * 2
    [notification] = rows(m.Notification)
    assert notification.type == "booking_confirmation"
    assert notification.payload == {"series_id": series.id, "scope": "following",
                                    "appointment_ids": [a.id for a in series.appointments[6:]]}


# Over HTTP: the scope is query-string text


def test_delete_with_scope_following_over_http(http, rows, professional, series):
    response = http.delete(f"/appointments/{series.appointments[5].id}?scope=following",
                           headers=headers_for(professional))

    assert response.status_code == 200, response.json
    assert response.json["status"] == "cancelled_by_professional" and response.json["series_id"] == series.id
    statuses = [a.status.value for a in sorted(rows(m.Appointment), key=lambda a: a.recurrence_start)]
    assert statuses == ["confirmed"] * 5 + ["cancelled_by_professional"] * 3


def test_put_with_scope_all_over_http(http, rows, professional, series):
    response = http.put(f"/appointments/{series.appointments[0].id}?scope=all",
                        headers=headers_for(professional),
                        json={"start_datetime": "2030-09-17T09:00:00+02:00"})

    assert response.status_code == 200, response.json
    assert _starts(rows, series) == [_week(n, 9) for n in range(1, 9)]


@pytest.mark.parametrize("query", ["scope=some", "scope=ALL", "scope=following&scope=all", "scope=%00",
                                   "scope=this;drop", "scoped=all"])
def test_a_bad_scope_is_422_and_changes_nothing(http, rows, professional, series, query):
    appointment_id = series.appointments[0].id

    put = http.put(f"/appointments/{appointment_id}?{query}", headers=headers_for(professional),
                   json={"notes": "x"})
    delete = http.delete(f"/appointments/{appointment_id}?{query}", headers=headers_for(professional))

    assert (put.status_code, delete.status_code) == (422, 422)
    assert put.headers["Content-Type"].startswith("application/problem+json")
    assert {a.status.value for a in rows(m.Appointment)} == {"confirmed"}
    assert {a.notes for a in rows(m.Appointment)} == {None}


def test_a_scope_on_a_single_appointment_is_that_appointment(http, rows, uow, professional, service, client):
    single = make_appointment(uow.session, professional, service=service, client=client, start=_week(1, 16))
    uow.commit()

    response = http.delete(f"/appointments/{single.id}?scope=all", headers=headers_for(professional))

    assert response.status_code == 200 and response.json["status"] == "cancelled_by_professional"


# The client's link


def _token_of(run, appointment_id: int) -> str:
    def find(uow):
        link = uow.session.scalar(select(m.PublicLink).where(m.PublicLink.appointment_id == appointment_id))
        return linktokens.derive(link.type.value, link.token_nonce)
    return run(find)


def test_the_clients_link_cancels_the_rest_of_the_series_only_where_allowed(http, run, rows, uow,
                                                                           professional, series):
    token = _token_of(run, series.appointments[4].id)

    refused = http.post(f"/appointments/cancel/{token}?scope=following")
    assert refused.status_code == 409 and refused.json["type"].endswith("series-cancel-not-allowed")
    assert {a.status.value for a in rows(m.Appointment)} == {"confirmed"}

    uow.session.execute(m.ProfessionalSettings.__table__.update().values(allow_client_series_cancel=True))
    uow.commit()
    response = http.post(f"/appointments/cancel/{token}?scope=following")

    assert response.status_code == 200, response.json
    statuses = [a.status.value for a in sorted(rows(m.Appointment), key=lambda a: a.recurrence_start)]
    assert statuses == ["confirmed"] * 4 + ["cancelled_by_client"] * 4
    kinds = sorted(n.type for n in rows(m.Notification))
    assert kinds == ["cancellation_confirmation", "cancelled_by_client"]


def test_the_clients_link_still_cancels_one_occurrence(http, run, rows, series):
    token = _token_of(run, series.appointments[4].id)

    response = http.post(f"/appointments/cancel/{token}")

    assert response.status_code == 200
    assert [a.status.value for a in rows(m.Appointment)].count("cancelled_by_client") == 1
