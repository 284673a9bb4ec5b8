"""Reminders: one statement finds the appointments whose reminder is due and writes them to the outbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text

from shared.notifications.dispatch import PENDING_KEY

# The settings allow at most 7 days (10080 minutes) of notice, so no due reminder lies further ahead.
HORIZON = dt.timedelta(days=7)
BATCH = 1000

# Index-backed: the literal status list matches ix_appointments_active_start's predicate, the range on
# start_datetime is its key, and the dedupe key probe is a unique-index lookup. The key is built in SQL
# exactly as reminder_dedupe_key() builds it in Python.
DUE_REMINDERS_SQL = """
SELECT a.id AS appointment_id, a.professional_id, a.start_datetime, c.email AS recipient
FROM appointments AS a
JOIN professional_settings AS s ON s.professional_id = a.professional_id
JOIN clients AS c ON c.professional_id = a.professional_id AND c.id = a.client_id
WHERE a.status IN ('pending', 'confirmed')
  AND a.start_datetime > :now
  AND a.start_datetime <= :horizon
  AND s.email_notification_enabled
  AND a.start_datetime - make_interval(mins => s.reminder_time_before_appointment_minutes) <= :now
  AND NOT EXISTS (
      SELECT 1 FROM notifications AS n
      WHERE n.dedupe_key = 'reminder:' || a.id || ':'
            || to_char(a.start_datetime AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00')
ORDER BY a.start_datetime, a.id
LIMIT :limit
"""


# The sweep in one round trip: the due query feeds INSERT ... SELECT in the database, so no row travels
# to Python and back (building a 1000-row INSERT in Python cost far more than the query). payload.start
# is written as Python's datetime.isoformat() writes a UTC instant (".ffffff" only when there are
# microseconds), and the dedupe key as reminder_dedupe_key() writes it. `due` counts what the query
# found, the RETURNING ids what this sweep wrote (a concurrent sweep may have written some first).
SWEEP_SQL = f"""
WITH due AS ({DUE_REMINDERS_SQL}),
written AS (
    INSERT INTO notifications (type, recipient, professional_id, appointment_id, payload, dedupe_key,
                               scheduled_for)
    SELECT 'reminder', due.recipient, due.professional_id, due.appointment_id,
           jsonb_build_object('start', utc.stamp
               || CASE WHEN extract(microseconds FROM due.start_datetime)::bigint % 1000000 <> 0
                       THEN '.' || to_char(due.start_datetime AT TIME ZONE 'UTC', 'US') ELSE '' END
               || '+00:00'),
           'reminder:' || due.appointment_id || ':' || utc.stamp || '+00:00',
           :now
    FROM due
    CROSS JOIN LATERAL (SELECT to_char(due.start_datetime AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
                        AS stamp) AS utc
    ORDER BY due.start_datetime, due.appointment_id
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id
)
SELECT (SELECT count(*) FROM due) AS due, ARRAY(SELECT id FROM written) AS ids
"""


@dataclass(frozen=True)
class SweepResult:
    due: int
    enqueued: int


def start_key(start: dt.datetime) -> str:
    """The start as it appears in a reminder's dedupe key: ISO 8601 in UTC, to the second."""
    return start.astimezone(dt.UTC).isoformat(timespec="seconds")


def reminder_dedupe_key(appointment_id: int, start: dt.datetime) -> str:
    """One reminder per appointment and start: a reschedule makes a new key, so the reminder re-arms."""
    return f"reminder:{int(appointment_id)}:{start_key(start)}"


def due_reminders(session, now: dt.datetime, limit: int = BATCH) -> list:
    """Appointments (pending or confirmed, e-mail on) whose reminder time has come and has no row yet."""
    return list(session.execute(text(DUE_REMINDERS_SQL),
                                {"now": now, "horizon": now + HORIZON, "limit": limit}))


def sweep_reminders(uow, now: dt.datetime) -> SweepResult:
    """Write the due reminders to the outbox (the caller commits; the queue gets them after commit)."""
    row = uow.session.execute(text(SWEEP_SQL), {"now": now, "horizon": now + HORIZON, "limit": BATCH}).one()
    ids = list(row.ids)
    if ids:
        uow.session.info.setdefault(PENDING_KEY, []).extend(ids)
    return SweepResult(due=row.due, enqueued=len(ids))
