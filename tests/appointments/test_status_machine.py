"""Every pair of the five appointment statuses, through the service, and a sample over HTTP."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from shared import models as m
from shared.appointments import service as appointments
from shared.errors import Conflict
from tests.appointments.conftest import NOW
from tests.factories import make_appointment

STATUSES = ["pending", "confirmed", "completed", "cancelled_by_professional", "cancelled_by_client"]
# Written out independently of shared.appointments.states, so the table there is checked, not echoed.
ALLOWED = {
    ("pending", "confirmed"), ("pending", "cancelled_by_professional"),
    ("pending", "cancelled_by_client"), ("confirmed", "completed"),
    ("confirmed", "cancelled_by_professional"), ("confirmed", "cancelled_by_client"),
}
# What a change writes besides the status: (audit action, notification kinds to the client).
EFFECTS = {
    "confirmed": ("appointment.confirmed", ["booking_confirmation"]),
    "completed": ("appointment.completed", []),
    "cancelled_by_professional": ("appointment.cancelled", ["cancelled_by_professional"]),
    "cancelled_by_client": ("appointment.cancelled", ["cancellation_confirmation"]),
}


@pytest.mark.parametrize("current, target", list(itertools.product(STATUSES, STATUSES)))
def test_every_status_change(run, rows, uow, professional, service, client, current, target):
    # Started an hour ago, so "completed" is judged by the table alone.
    appointment = make_appointment(uow.session, professional, service=service, client=client,
                                   start=NOW - dt.timedelta(hours=1), status=current)
    uow.commit()

    def change():
        return run(appointments.update, professional_id=professional.id, appointment_id=appointment.id,
                   appointment_in={"status": target}, now=NOW)

    [before] = rows(m.Appointment)
    if current == target:
        assert change().status == current
        assert rows(m.AuditLog) == [] and rows(m.Notification) == []
    elif (current, target) in ALLOWED:
        assert change().status == target
        [after] = rows(m.Appointment)
        action, kinds = EFFECTS[target]
        assert [a.action for a in rows(m.AuditLog)] == [action]
        assert [n.type for n in rows(m.Notification)] == kinds
        cancelled = target.startswith("cancelled")
        assert after.sequence == before.sequence + (1 if cancelled else 0)
        assert (after.cancelled_at == NOW) if cancelled else after.cancelled_at is None
    else:
        with pytest.raises(Conflict) as raised:
            change()
        assert raised.value.extra["current_status"] == current
        assert current in raised.value.detail
        assert [a.status.value for a in rows(m.Appointment)] == [current]
        assert rows(m.AuditLog) == [] and rows(m.Notification) == []


@pytest.mark.parametrize("offset, allowed", [
    (dt.timedelta(minutes=-1), True),  # started a minute ago
    (dt.timedelta(0), True),  # starts right now
    (dt.timedelta(minutes=1), False),  # starts in a minute
])
def test_completed_only_once_the_start_has_passed(run, uow, professional, service, client, offset, allowed):
    appointment = make_appointment(uow.session, professional, service=service, client=client,
                                   start=NOW + offset, status="confirmed")
    uow.commit()

    def complete():
        return run(appointments.update, professional_id=professional.id, appointment_id=appointment.id,
                   appointment_in={"status": "completed"}, now=NOW)

    if allowed:
        assert complete().status == "completed"
    else:
        with pytest.raises(Conflict) as raised:
            complete()
        assert raised.value.extra["current_status"] == "confirmed"


@pytest.mark.parametrize("current, target, status_code", [
    ("pending", "confirmed", 200),
    ("confirmed", "confirmed", 200),
    ("completed", "pending", 409),
    ("cancelled_by_client", "confirmed", 409),
    ("pending", "completed", 409),
])
def test_status_changes_over_http(http, headers, uow, professional, service, client, current, target,
                                  status_code):
    appointment = make_appointment(uow.session, professional, service=service, client=client,
                                   start=dt.datetime.now(dt.UTC) - dt.timedelta(days=1), status=current)
    uow.commit()

    response = http.put(f"/appointments/{appointment.id}", headers=headers, json={"status": target})

    assert response.status_code == status_code
    if status_code == 200:
        assert response.json["status"] == target
    else:
        assert response.json["current_status"] == current
        assert current in response.json["detail"]
        assert response.json["type"].endswith("/invalid-status-change")


def test_an_unknown_status_is_a_validation_error(http, headers, uow, professional, service, client):
    appointment = make_appointment(uow.session, professional, service=service, client=client, start=NOW)
    uow.commit()
    response = http.put(f"/appointments/{appointment.id}", headers=headers, json={"status": "done"})
    assert response.status_code == 422 and "status" in response.json["errors"]
