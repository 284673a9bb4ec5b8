"""GET /notifications: a professional's own outbox, filtered and paged; POST to the reminders function."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from shared.jobs.instance import huey
from shared.models import Notification
from shared.notifications import outbox

from .outbox_support import book

NOW = dt.datetime.now(dt.UTC)
REPO = Path(__file__).resolve().parents[2]


def _write(uow, professional, kind: str, **values) -> int:
    nid = outbox.enqueue(uow.session, type=kind, recipient="lucia@example.com",
                         professional_id=professional.id)
    if values:
        uow.session.execute(update(Notification).where(Notification.id == nid).values(**values))
    return nid


@pytest.fixture
def outbox_rows(uow, professional, other_professional):
    """Three rows of the professional (sent yesterday, failed, pending) and one of another tenant."""
    appointment, _ = book(uow.session, professional, start=NOW + dt.timedelta(days=2))
    yesterday = NOW - dt.timedelta(days=1)
    sent = _write(uow, professional, "booking_confirmation", status="sent", sent_at=yesterday, attempts=1,
                  created_at=yesterday, appointment_id=appointment.id, provider_message_id="ses-1")
    failed = _write(uow, professional, "reminder", status="failed", attempts=6,
                    error_message="MessageRejected: Email address is not verified.")
    pending = _write(uow, professional, "new_booking")
    _write(uow, other_professional, "new_booking")
    uow.commit()
    return {"sent": sent, "failed": failed, "pending": pending}


def test_lists_only_the_professionals_own_notifications_newest_first(gateway, professional, outbox_rows,
                                                                      auth_headers):
    response = gateway.get("/notifications", headers=auth_headers(professional))

    assert response.status_code == 200
    body = response.get_json()
    assert (body["total"], body["limit"], body["offset"]) == (3, 50, 0)
    assert [item["id"] for item in body["items"]] == [outbox_rows["pending"], outbox_rows["failed"],
                                                      outbox_rows["sent"]]
    sent = body["items"][2]
    assert set(sent) == {"id", "type", "recipient", "status", "scheduled_for", "sent_at", "attempts",
                         "error_message", "appointment_id", "created_at"}
    assert (sent["type"], sent["status"], sent["attempts"]) == ("booking_confirmation", "sent", 1)
    assert dt.datetime.fromisoformat(sent["sent_at"]).utcoffset() is not None
    assert body["items"][1]["error_message"] == "MessageRejected: Email address is not verified."


def test_filters_by_status_and_creation_window(gateway, professional, outbox_rows, auth_headers):
    headers = auth_headers(professional)

    failed = gateway.get("/notifications?status=failed", headers=headers).get_json()
    since = (NOW - dt.timedelta(hours=1)).isoformat()
    recent = gateway.get("/notifications", query_string={"from": since}, headers=headers).get_json()
    older = gateway.get("/notifications", query_string={"to": since}, headers=headers).get_json()

    assert [i["id"] for i in failed["items"]] == [outbox_rows["failed"]]
    assert {i["id"] for i in recent["items"]} == {outbox_rows["failed"], outbox_rows["pending"]}
    assert [i["id"] for i in older["items"]] == [outbox_rows["sent"]]


def test_pages_with_limit_and_offset(gateway, professional, outbox_rows, auth_headers):
    body = gateway.get("/notifications?limit=1&offset=1", headers=auth_headers(professional)).get_json()

    assert (body["total"], body["limit"], body["offset"]) == (3, 1, 1)
    assert [i["id"] for i in body["items"]] == [outbox_rows["failed"]]


@pytest.mark.parametrize(("query", "field"), [
    ("status=lost", "status"), ("from=2027-03-22T09:00:00", "from"), ("from=yesterday", "from"),
    ("from=2027-03-22T09:00:00Z&to=2027-03-22T08:00:00Z", "to"), ("limit=500", "limit"),
])
def test_bad_filters_are_422_naming_the_field(gateway, professional, auth_headers, query, field):
    response = gateway.get(f"/notifications?{query}", headers=auth_headers(professional))

    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_needs_a_professionals_token(gateway, db_url):
    response = gateway.get("/notifications")

    assert response.status_code == 401
    assert response.content_type == "application/problem+json"


def test_cron_trigger_writes_due_reminders_and_reports_counts(gateway, uow, professional):
    book(uow.session, professional, start=NOW + dt.timedelta(hours=2))
    uow.commit()

    first = gateway.post("/function/reminders/", data=b"")  # as the cron-connector calls it
    second = gateway.post("/function/reminders/reminders", data=b"")

    assert (first.status_code, first.get_json()) == (200, {"due": 1, "enqueued": 1})
    assert (second.status_code, second.get_json()) == (200, {"due": 0, "enqueued": 0})
    (reminder,) = uow.session.scalars(select(Notification).where(Notification.type == "reminder"))
    assert [task.args for task in huey.pending()] == [(reminder.id,)]


def test_reminders_function_only_takes_post(gateway, db_url):
    assert gateway.get("/function/reminders/").status_code == 405


def test_the_functions_start_without_loading_boto3():
    code = ("import sys, functions.notifications.handler, functions.reminders.handler, "
            "shared.notifications.service, shared.db; "
            "sys.exit(1 if {'boto3', 'botocore'} & set(sys.modules) else 0)")

    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))

    assert result.returncode == 0, result.stderr
