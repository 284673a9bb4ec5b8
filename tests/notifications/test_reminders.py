"""Reminders: written once per appointment and start when due, re-armed by a reschedule, found by index."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import select, text

from shared.db import unit_of_work
from shared.models import AppointmentStatus, Notification
from shared.notifications import delivery, reminders
from shared.notifications.service import deliver, sweep_reminders
from tests.factories import make_appointment, make_client, make_professional, make_service

from .conftest import ses_sent_messages
from .outbox_support import T0, book

DAY = dt.timedelta(days=1)


def _reminders(session) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.type == "reminder")
                                .order_by(Notification.id)))


def _sweep(now: dt.datetime) -> reminders.SweepResult:
    with unit_of_work() as uow:
        result = sweep_reminders(uow, now)
        uow.commit()
    return result


def test_due_reminder_is_written_once_with_its_dedupe_key(uow, professional):
    appointment, _ = book(uow.session, professional, start=T0 + DAY)  # default notice: 1440 minutes
    uow.commit()

    first, second = _sweep(T0), _sweep(T0 + dt.timedelta(minutes=1))

    assert (first.due, first.enqueued) == (1, 1)
    assert (second.due, second.enqueued) == (0, 0)
    (row,) = _reminders(uow.session)
    assert row.dedupe_key == f"reminder:{appointment.id}:2027-03-23T08:00:00+00:00"
    assert row.dedupe_key == reminders.reminder_dedupe_key(appointment.id, appointment.start_datetime)
    assert row.payload == {"start": "2027-03-23T08:00:00+00:00"}
    assert (row.recipient, row.appointment_id, row.professional_id) == (
        "lucia@example.com", appointment.id, professional.id)
    assert row.status.value == "pending" and row.scheduled_for == T0


def test_reminder_is_not_written_before_its_time(uow, professional):
    book(uow.session, professional, start=T0 + DAY + dt.timedelta(minutes=1))
    uow.commit()

    assert _sweep(T0).due == 0
    assert _sweep(T0 + dt.timedelta(minutes=1)).due == 1


@pytest.mark.parametrize(("status", "reminded"), [
    ("pending", True), ("confirmed", True), ("cancelled_by_client", False),
    ("cancelled_by_professional", False), ("completed", False),
])
def test_only_pending_and_confirmed_appointments_are_reminded(uow, professional, status, reminded):
    book(uow.session, professional, start=T0 + dt.timedelta(hours=2), status=status)
    uow.commit()

    assert _sweep(T0).enqueued == int(reminded)


def test_no_reminder_when_the_professional_turned_emails_off(uow):
    professional = make_professional(uow.session, email="quiet@example.com", email_notification_enabled=False)
    book(uow.session, professional, start=T0 + dt.timedelta(hours=2))
    uow.commit()

    assert _sweep(T0).due == 0


def test_reminder_notice_follows_each_professionals_setting(uow):
    week = make_professional(uow.session, email="week@example.com",
                             reminder_time_before_appointment_minutes=7 * 24 * 60)
    hour = make_professional(uow.session, email="hour@example.com",
                             reminder_time_before_appointment_minutes=60)
    book(uow.session, week, start=T0 + 7 * DAY)
    book(uow.session, hour, start=T0 + dt.timedelta(hours=2))
    uow.commit()

    assert _sweep(T0).due == 1
    assert _sweep(T0 + dt.timedelta(hours=1)).due == 1
    assert {r.professional_id for r in _reminders(uow.session)} == {week.id, hour.id}


def test_past_appointments_get_no_reminder(uow, professional):
    book(uow.session, professional, start=T0 - dt.timedelta(minutes=1))
    uow.commit()

    assert _sweep(T0).due == 0


def test_a_reschedule_rearms_the_reminder_and_the_old_one_is_skipped(ses, uow, professional):
    appointment, _ = book(uow.session, professional, start=T0 + dt.timedelta(hours=3))
    uow.commit()
    assert _sweep(T0).enqueued == 1
    appointment.start_datetime += dt.timedelta(hours=2)
    appointment.end_datetime += dt.timedelta(hours=2)
    appointment.sequence += 1
    uow.commit()

    assert _sweep(T0 + dt.timedelta(minutes=1)).enqueued == 1

    old, new = _reminders(uow.session)
    assert new.payload == {"start": "2027-03-22T13:00:00+00:00"} and old.dedupe_key != new.dedupe_key
    assert deliver(old.id, now=T0 + dt.timedelta(minutes=2)).status == "skipped"
    assert deliver(new.id, now=T0 + dt.timedelta(minutes=2)).status == "sent"
    assert len(ses_sent_messages()) == 1


def test_cancelled_after_the_reminder_was_written_it_is_skipped(ses, uow, professional):
    appointment, _ = book(uow.session, professional, start=T0 + dt.timedelta(hours=3))
    uow.commit()
    _sweep(T0)
    appointment.status = AppointmentStatus.cancelled_by_client
    uow.commit()

    (row,) = _reminders(uow.session)
    assert deliver(row.id, now=T0).status == "skipped"
    assert ses_sent_messages() == []


def test_concurrent_sweeps_write_each_reminder_once(uow, professional):
    for hour in range(5):
        book(uow.session, professional, start=T0 + dt.timedelta(hours=hour + 1),
             client_email=f"c{hour}@example.com")
    uow.commit()
    barrier, results = threading.Barrier(3), []

    def sweep():
        with unit_of_work() as work:
            barrier.wait()
            results.append(sweep_reminders(work, T0))
            work.commit()

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.enqueued for r in results) == 5
    assert len(_reminders(uow.session)) == 5


# A practice of 400 professionals with two years of history each: every past appointment was reminded.
PRACTICE_SQL = (
    "INSERT INTO users (email, password_hash, name)"
    " SELECT 'p' || g || '@example.com', 'not-a-hash', 'Pro ' || g FROM generate_series(1, 400) AS g",
    "INSERT INTO professionals (user_id, business_name, public_slug)"
    " SELECT id, 'Practice ' || id, 'practice-' || id FROM users",
    "INSERT INTO professional_settings (professional_id) SELECT id FROM professionals",
    "INSERT INTO services (professional_id, name, duration_minutes)"
    " SELECT id, 'Session', 30 FROM professionals",
    "INSERT INTO clients (professional_id, name, email) SELECT id, 'Client', 'c' || id || '@example.com'"
    " FROM professionals",
    """INSERT INTO appointments (professional_id, service_id, client_id, start_datetime, end_datetime, status)
       SELECT p.id, s.id, c.id, t.start, t.start + interval '30 minutes',
              CASE WHEN t.start < :now THEN 'completed'::appointment_status
                   ELSE 'confirmed'::appointment_status END
       FROM professionals AS p
       JOIN services AS s ON s.professional_id = p.id
       JOIN clients AS c ON c.professional_id = p.id
       CROSS JOIN generate_series(CAST(:now AS timestamptz) - interval '700 days',
                                  CAST(:now AS timestamptz) + interval '30 days',
                                  interval '5 days 1 hour') AS t(start)""",
    """INSERT INTO notifications (type, recipient, professional_id, appointment_id, dedupe_key, status,
                                 sent_at)
       SELECT 'reminder', 'c@example.com', a.professional_id, a.id,
              'reminder:' || a.id || ':'
              || to_char(a.start_datetime AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00',
              'sent', a.start_datetime - interval '1 day'
       FROM appointments AS a WHERE a.start_datetime < :now""",
)


def test_the_due_reminder_query_uses_the_active_start_and_dedupe_indexes(db_url, db_engine):
    with db_engine.begin() as conn:
        for statement in PRACTICE_SQL:
            conn.execute(text(statement), {"now": T0})
        for table in ("users", "professionals", "professional_settings", "clients", "appointments",
                      "notifications"):
            conn.execute(text(f"ANALYZE {table}"))
        count = conn.scalar(text("SELECT count(*) FROM appointments"))
        params = {"now": T0, "horizon": T0 + reminders.HORIZON, "limit": reminders.BATCH}
        plan = json.dumps(conn.scalar(text("EXPLAIN (FORMAT JSON) " + reminders.DUE_REMINDERS_SQL), params))

    assert count > 50_000
    assert '"Index Name": "ix_appointments_active_start"' in plan
    assert '"Index Name": "uq_notifications_dedupe_key"' in plan  # the "not written yet" probe


def test_reminder_rows_are_handed_to_the_queue_after_commit(uow, professional):
    from shared.jobs.instance import huey

    book(uow.session, professional, start=T0 + dt.timedelta(hours=2))
    uow.commit()

    _sweep(T0)

    (row,) = _reminders(uow.session)
    assert [task.args for task in huey.pending()] == [(row.id,)]


def test_reminder_goes_to_the_appointments_own_client(uow, professional):
    service = make_service(uow.session, professional)
    make_client(uow.session, professional, email="someone-else@example.com")
    client = make_client(uow.session, professional, email="the-client@example.com")
    make_appointment(uow.session, professional, service=service, client=client,
                     start=T0 + dt.timedelta(hours=1))
    uow.commit()

    _sweep(T0)

    assert [r.recipient for r in _reminders(uow.session)] == ["the-client@example.com"]


def test_the_unsent_sweep_reads_only_unsent_rows_by_index(db_url, db_engine):
    with db_engine.begin() as conn:
        for statement in PRACTICE_SQL:
            conn.execute(text(statement), {"now": T0})
        conn.execute(text("ANALYZE notifications"))
    with db_engine.connect() as conn:
        compiled = delivery.unsent_ids_query(T0, dt.timedelta(seconds=50)).compile(
            dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        # Sent with its parameters for the server to bind, as the sweeper's query is.
        plan = json.dumps(conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar())

    assert '"Index Name": "ix_notifications_unsent"' in plan
