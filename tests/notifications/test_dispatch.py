"""After commit, outbox rows are handed to the queue (Redis); a rollback or a dead queue loses nothing."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from huey import RedisHuey
from sqlalchemy import select, update

from shared.appointments import book as booking
from shared.appointments.actors import Actor
from shared.config import reset_settings
from shared.db import reset_engine, unit_of_work
from shared.jobs import tasks
from shared.jobs.instance import huey
from shared.models import Appointment, AppointmentRequest, AppointmentStatus, Client, Notification
from shared.notifications import outbox
from tests.factories import make_service

from .conftest import ses_sent_messages
from .outbox_support import T0, book, notification


def _queued_ids() -> list[int]:
    return sorted(task.args[0] for task in huey.pending() if task.name.endswith("send_notification"))


def _write_two(uow, professional) -> list[int]:
    appointment, _ = book(uow.session, professional, start=T0)
    return [outbox.enqueue(uow, type=kind, recipient=recipient, appointment_id=appointment.id,
                           professional_id=professional.id)
            for kind, recipient in (("booking_confirmation", "lucia@example.com"),
                                    ("new_booking", "pro@example.com"))]


@pytest.fixture
def queue_down():
    """Point the queue at a port where no Redis listens, as during a Redis restart."""
    working = huey.storage
    huey.storage = RedisHuey("agenda", url="redis://127.0.0.1:1/15").storage
    yield
    huey.storage = working


def test_commit_hands_each_new_row_to_the_queue(uow, professional):
    ids = _write_two(uow, professional)
    assert _queued_ids() == []

    uow.commit()

    assert _queued_ids() == sorted(ids)
    huey.flush()
    uow.commit()  # a later commit of the same unit of work sends nothing again
    assert _queued_ids() == []


def test_rollback_queues_nothing_and_forgets_the_ids(uow, professional):
    _write_two(uow, professional)

    uow.rollback()
    uow.commit()  # a later commit of the same session must not send the rolled-back ids

    assert _queued_ids() == []
    assert uow.session.scalars(select(Notification)).all() == []


def test_a_booking_succeeds_while_the_queue_is_down_and_the_sweeper_sends_it_later(
        uow, professional, queue_down, caplog):
    service = make_service(uow.session, professional)
    uow.commit()

    with caplog.at_level(logging.WARNING, logger="shared.notifications.outbox"):
        created = booking.book(uow, Actor.professional(professional.id), {
            "service_id": service.id, "start_datetime": T0 + dt.timedelta(days=30),
            "client": {"name": "Lucía", "email": "lucia@example.com"}})

    assert created.id
    assert "the sweeper will send them" in caplog.text
    (row,) = uow.session.scalars(select(Notification)).all()
    assert row.type == "booking_confirmation" and row.status.value == "pending"


def test_the_sweeper_requeues_rows_the_queue_lost_but_leaves_fresh_ones(uow, professional):
    ids = _write_two(uow, professional)
    uow.commit()
    huey.flush()  # the queue loses its messages (Redis restarted without persistence)

    assert tasks.requeue_unsent.call_local() == 0  # just written: the queue may still deliver them

    uow.session.execute(update(Notification).values(
        scheduled_for=Notification.scheduled_for - dt.timedelta(minutes=1)))
    uow.commit()
    assert tasks.requeue_unsent.call_local() == 2
    assert _queued_ids() == sorted(ids)


def test_the_sweeper_requeues_a_row_whose_worker_died_mid_send(uow, professional):
    ids = _write_two(uow, professional)
    uow.session.execute(update(Notification).where(Notification.id == ids[0]).values(
        status="sending", claimed_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3), attempts=1,
        scheduled_for=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=12)))
    uow.session.execute(update(Notification).where(Notification.id == ids[1]).values(
        status="sending", claimed_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=10), attempts=1,
        scheduled_for=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)))
    uow.commit()
    huey.flush()

    assert tasks.requeue_unsent.call_local() == 1
    assert _queued_ids() == [ids[0]]


def test_immediate_mode_sends_on_commit(ses, uow, professional):
    huey.immediate = True
    try:
        ids = _write_two(uow, professional)
        uow.commit()
    finally:
        huey.immediate = False

    assert [notification(uow.session, i).status.value for i in ids] == ["sent", "sent"]
    assert sorted(m.destinations[0] for m in ses_sent_messages()) == ["lucia@example.com", "pro@example.com"]


def test_a_transient_failure_schedules_the_retry_on_the_queue(uow, professional, monkeypatch):
    ids = _write_two(uow, professional)
    uow.commit()
    huey.flush()
    monkeypatch.setenv("SES_ENDPOINT_URL", "http://127.0.0.1:1")
    reset_settings()

    assert tasks.send_notification.call_local(ids[0]) == "retry"

    # Queued with its eta; the consumer keeps it in the schedule until then.
    (scheduled,) = huey.pending()
    row = notification(uow.session, ids[0])
    assert scheduled.args == (ids[0],)
    assert scheduled.eta.replace(tzinfo=dt.UTC) == row.scheduled_for


def test_every_sweep_runs_each_minute():
    for task in (tasks.requeue_unsent, tasks.send_due_reminders, tasks.expire_requests, tasks.expire_holds):
        assert all(task.task_class().validate_datetime(dt.datetime(2027, 3, 22, 8, minute))
                   for minute in range(60))


def test_a_booking_over_http_is_201_while_the_queue_is_down(gateway, uow, professional, auth_headers,
                                                           queue_down):
    service = make_service(uow.session, professional)
    uow.commit()

    response = gateway.post("/appointments", headers=auth_headers(professional), json={
        "service_id": service.id, "start_datetime": (T0 + dt.timedelta(days=30)).isoformat(),
        "client": {"name": "Lucía", "email": "lucia@example.com"}})

    assert response.status_code == 201
    (row,) = uow.session.scalars(select(Notification)).all()
    assert (row.type, row.status.value, row.appointment_id) == (
        "booking_confirmation", "pending", response.get_json()["id"])


def test_the_reminder_task_writes_and_in_immediate_mode_sends_due_reminders(ses, uow, professional):
    book(uow.session, professional, start=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2))
    uow.commit()
    huey.immediate = True
    try:
        counts = tasks.send_due_reminders.call_local()
    finally:
        huey.immediate = False

    assert counts == {"due": 1, "enqueued": 1}
    (row,) = uow.session.scalars(select(Notification)).all()
    assert (row.type, row.status.value) == ("reminder", "sent")
    assert [m.destinations[0] for m in ses_sent_messages()] == ["lucia@example.com"]


def test_the_expiry_task_expires_requests_nobody_answered(uow, professional):
    service = make_service(uow.session, professional)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    request = AppointmentRequest(professional_id=professional.id, service_id=service.id,
                                 requested_datetime=past, end_datetime=past + dt.timedelta(hours=1),
                                 client_name="Lucía", client_email="lucia@example.com")
    uow.session.add(request)
    uow.commit()

    assert tasks.expire_requests.call_local() == 1

    uow.session.refresh(request)
    assert request.status.value == "expired"


def test_the_hold_task_releases_bookings_nobody_confirmed_in_time(uow, professional):
    service = make_service(uow.session, professional)
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    client = Client(professional_id=professional.id, name="Lucía", email="lucia@example.com")
    uow.session.add(client)
    uow.session.flush()
    for minutes in (-1, 20):  # one past its expiry, one still waiting
        uow.session.add(Appointment(
            professional_id=professional.id, client_id=client.id, service_id=service.id,
            start_datetime=start + dt.timedelta(hours=minutes), end_datetime=start + dt.timedelta(
                hours=minutes, minutes=50), status=AppointmentStatus.held,
            hold_expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)))
    uow.commit()

    assert tasks.expire_holds.call_local() == 1

    statuses = uow.session.scalars(select(Appointment.status).order_by(Appointment.start_datetime)).all()
    assert [s.value for s in statuses] == ["expired", "held"]


def test_a_rebuilt_engine_still_hands_rows_over_after_commit(db_url, professional):
    """shared.db.reset_engine() builds a new session factory; the hand-over lives in the unit of work, so
    every unit of work on any factory queues its rows."""
    queued: list[int] = []
    for _ in range(3):
        reset_engine()
        with unit_of_work() as work:
            queued.append(outbox.enqueue(work, type="password_reset", recipient="pro@example.com",
                                         user_id=professional.user_id))
            work.commit()

    assert _queued_ids() == sorted(queued)
