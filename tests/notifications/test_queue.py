"""Real queue: Redis and a Huey consumer deliver what bookings write, once, even when messages are lost."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, update

from shared.appointments import public
from shared.db import unit_of_work
from shared.jobs import tasks
from shared.jobs.instance import huey
from shared.localdev.run import start_background_workers
from shared.models import Notification
from shared.notifications import outbox
from shared.notifications.service import sweep_reminders
from tests.factories import make_block, make_service

from .conftest import ses_sent_messages
from .outbox_support import T0, book, event, parse, running_consumer, wait_until

REPO = Path(__file__).resolve().parents[2]
START = dt.datetime(2027, 3, 25, 8, 0, tzinfo=dt.UTC)  # Thursday 09:00 in Madrid, three days after T0


def _all_rows(session) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).order_by(Notification.id)))


def _settled(session, expected: int):
    """The rows once `expected` of them exist and none is still waiting or being sent."""
    rows = _all_rows(session)
    done = len(rows) == expected and all(r.status.value not in ("pending", "sending") for r in rows)
    return rows if done else None


def _book_publicly(uow, professional) -> int:
    service = make_service(uow.session, professional, name="Terapia individual", duration_minutes=50)
    make_block(uow.session, professional, specific_date=dt.date(2027, 3, 25), start="09:00", end="13:00")
    uow.commit()
    with unit_of_work() as work:
        view = public.book(work, slug=professional.public_slug, now=T0, booking_in={
            "service_id": service.id, "start_datetime": START, "name": "Lucía Cliente",
            "email": "lucia@example.com"})
    return view.id


def test_a_public_booking_is_delivered_by_the_consumer_as_two_emails_with_invitations(ses, uow, professional):
    with running_consumer(huey):
        appointment_id = _book_publicly(uow, professional)
        rows = wait_until(lambda: _settled(uow.session, 2))

    assert sorted((r.type, r.status.value, r.attempts) for r in rows) == [
        ("booking_confirmation", "sent", 1), ("new_booking", "sent", 1)]
    messages = {m.destinations[0]: parse(m.raw_data) for m in ses_sent_messages()}
    assert sorted(messages) == ["lucia@example.com", "pro@example.com"]
    for message in messages.values():
        calendar, vevent = event(message)
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(vevent["UID"]) == f"appointment-{appointment_id}@agenda"
        assert vevent.decoded("DTSTART") == START
    assert "/manage/" in messages["lucia@example.com"].get_body(("plain",)).get_content()


def test_a_lost_queue_message_is_still_delivered_once_by_the_sweeper(ses, uow, professional):
    _book_publicly(uow, professional)
    assert len(huey.pending()) == 2
    huey.flush()  # Redis lost the messages after the commit
    # A minute passes with nobody sending them.
    uow.session.execute(update(Notification).values(
        scheduled_for=Notification.scheduled_for - dt.timedelta(minutes=1)))
    uow.commit()

    with running_consumer(huey):
        tasks.requeue_unsent()  # the periodic task, run by the consumer like its minutely tick
        tasks.requeue_unsent()  # a second sweep racing the first
        rows = wait_until(lambda: _settled(uow.session, 2))

    assert [r.status.value for r in rows] == ["sent", "sent"]
    assert sorted(m.destinations[0] for m in ses_sent_messages()) == ["lucia@example.com", "pro@example.com"]


def test_concurrent_reminder_sweeps_and_duplicate_messages_send_each_reminder_once(ses, uow, professional):
    now = dt.datetime.now(dt.UTC)
    for hour in range(4):
        book(uow.session, professional, start=now + dt.timedelta(hours=hour + 1),
             client_email=f"client{hour}@example.com")
    uow.commit()
    barrier = threading.Barrier(2)

    def sweep():
        with unit_of_work() as work:
            barrier.wait()
            sweep_reminders(work, now)
            work.commit()

    with running_consumer(huey, workers=4):
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for row in _all_rows(uow.session):  # the same ids queued again, as a racing sweeper would
            tasks.send_notification(row.id)
            tasks.send_notification(row.id)
        rows = wait_until(lambda: _settled(uow.session, 4))

    assert {(r.type, r.status.value, r.attempts) for r in rows} == {("reminder", "sent", 1)}
    recipients = sorted(m.destinations[0] for m in ses_sent_messages())
    assert recipients == [f"client{hour}@example.com" for hour in range(4)]


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)  # Huey's graceful stop
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _file_mail_env(tmp_path, **overrides) -> dict[str, str]:
    return dict(os.environ, EMAIL_BACKEND="file", EMAIL_DIR=str(tmp_path / "outbox"), PYTHONPATH=str(REPO),
                **overrides)


@pytest.fixture
def consumer_process(tmp_path, db_url):
    """`huey_consumer shared.jobs.main.huey` as production starts it, mail written to files."""
    with open(tmp_path / "consumer.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "huey.bin.huey_consumer", "shared.jobs.main.huey", "-w", "2",
             "-k", "thread", "-n", "-d", "0.05", "-m", "0.2"],
            cwd=REPO, env=_file_mail_env(tmp_path), stdout=log, stderr=subprocess.STDOUT)
    yield tmp_path / "outbox"
    _stop(process)


def test_the_consumer_command_delivers_from_redis(uow, professional, consumer_process):
    appointment_id = _book_publicly(uow, professional)

    rows = wait_until(lambda: _settled(uow.session, 2))

    assert [r.status.value for r in rows] == ["sent", "sent"]
    files = sorted(consumer_process.glob("*.eml"))
    assert len(files) == 2
    messages = {parse(f.read_bytes())["To"]: parse(f.read_bytes()) for f in files}
    assert sorted(messages) == ["lucia@example.com", "pro@example.com"]
    _, vevent = event(messages["lucia@example.com"])
    assert str(vevent["UID"]) == f"appointment-{appointment_id}@agenda"
    assert {r.provider_message_id for r in rows} == {f.stem for f in files}


def test_make_run_worker_delivers_through_the_sqlite_queue(uow, professional, tmp_path):
    appointment, _ = book(uow.session, professional, start=START)
    nid = outbox.enqueue(uow.session, type="booking_confirmation", recipient="lucia@example.com",
                         appointment_id=appointment.id, professional_id=professional.id)
    uow.commit()
    huey.flush()
    env = _file_mail_env(tmp_path, HUEY_BACKEND="sqlite", HUEY_SQLITE_PATH=str(tmp_path / "huey.sqlite3"))
    # What a function does after its commit under `make run` without Redis: queue into the SQLite file.
    code = f"from shared.notifications.dispatch import hand_over; print(hand_over([{nid}]))"
    handed = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                            check=True)
    assert handed.stdout.strip() == "1"

    workers = start_background_workers(env)
    try:
        (row,) = wait_until(lambda: _settled(uow.session, 1))
    finally:
        for worker in workers:
            _stop(worker)

    assert row.status.value == "sent"
    (mail,) = (tmp_path / "outbox").glob("*.eml")
    assert row.provider_message_id == mail.stem
    assert parse(mail.read_bytes())["To"] == "lucia@example.com"
