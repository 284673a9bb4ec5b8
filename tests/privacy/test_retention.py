"""Retention: notifications and the personal parts of audit rows are not kept past the configured period."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from shared.config import ConfigError, load_settings
from shared.privacy.retention import purge_expired

NOW = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)
OLD = NOW - dt.timedelta(days=2 * 365 + 30)
RECENT = NOW - dt.timedelta(days=40)


@pytest.fixture
def records(uow, practice):
    professional, _service = practice
    session = uow.session
    for created in (OLD, RECENT):
        session.execute(text(
            "INSERT INTO notifications (professional_id, type, recipient, payload, status, sent_at, "
            "created_at) "
            "VALUES (:p, 'booking_confirmation', 'eva@example.com', '{\"reason\": \"x\"}', 'sent', :t, :t)"),
            {"p": professional.id, "t": created})
        session.execute(text(
            "INSERT INTO audit_logs (professional_id, action, entity_type, entity_id, ip_address, metadata, "
            "created_at) VALUES (:p, 'appointment.created', 'appointment', 1, '198.51.100.7', "
            "'{\"reason\": \"Eva is ill\"}', :t)"), {"p": professional.id, "t": created})
    uow.commit()


def _rows(db_engine, sql):
    with db_engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def test_old_notifications_go_and_old_audit_rows_keep_only_what_happened(records, uow, db_engine):
    done = purge_expired(uow, months=24, now=NOW)

    assert done == {"notifications_deleted": 1, "audit_logs_stripped": 1, "unconfirmed_clients_deleted": 0}
    assert _rows(db_engine, "SELECT created_at FROM notifications") == [(RECENT,)]
    assert sorted(_rows(db_engine, "SELECT created_at, action, entity_id, ip_address::text, metadata::text "
                                   "FROM audit_logs")) == [
        (OLD, "appointment.created", 1, None, "{}"),
        (RECENT, "appointment.created", 1, "198.51.100.7/32", '{"reason": "Eva is ill"}'),
    ]


def test_a_second_run_finds_nothing_more(records, uow):
    purge_expired(uow, months=24, now=NOW)

    assert purge_expired(uow, months=24, now=NOW) == {"notifications_deleted": 0, "audit_logs_stripped": 0,
                                                      "unconfirmed_clients_deleted": 0}


def test_the_period_is_a_setting_in_months(records, uow, db_engine):
    assert purge_expired(uow, months=1, now=NOW) == {"notifications_deleted": 2, "audit_logs_stripped": 2,
                                                     "unconfirmed_clients_deleted": 0}


def test_the_retention_setting_is_validated():
    base = {"DATABASE_URL": "postgresql://db/agenda", "JWT_SECRET": "j" * 32, "LINK_SECRET": "l" * 32,
            "ENCRYPTION_KEY": "e" * 43, "SECRETS_DIR": "/nonexistent", "AGENDA_ENV": "development"}

    assert load_settings(base).record_retention_months == 24
    assert load_settings({**base, "RECORD_RETENTION_MONTHS": "36"}).record_retention_months == 36
    with pytest.raises(ConfigError, match="RECORD_RETENTION_MONTHS"):
        load_settings({**base, "RECORD_RETENTION_MONTHS": "0"})


def test_the_purge_runs_daily_in_the_consumer():
    from shared.jobs import tasks

    task = tasks.purge_expired_records.s()

    assert task.validate_datetime(dt.datetime(2030, 6, 1, 3, 30))
    assert not task.validate_datetime(dt.datetime(2030, 6, 1, 4, 30))
    assert not task.validate_datetime(dt.datetime(2030, 6, 1, 3, 31))
