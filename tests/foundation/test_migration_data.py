"""Migration 0002 (the blueprint's names) keeps every row: up to the new names, and back down again."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import RUN_ID, create_database, drop_database, migrate

pytestmark = pytest.mark.schema

# One row in every table, written with 0001's names.
ROWS_AT_0001 = """
INSERT INTO users (id, email, password_hash, name, role) VALUES
    (1, 'ana@example.com', 'x', 'Ana', 'professional');
INSERT INTO professionals (id, user_id, business_name, public_slug, phone, bio)
    VALUES (1, 1, 'Ana Psicología', 'ana-psicologia', '+34 600', 'Hola');
INSERT INTO professional_settings (professional_id, booking_advance_days) VALUES (1, 30);
INSERT INTO services (id, professional_id, name, duration_minutes, price) VALUES (1, 1, 'Terapia', 50, 45);
INSERT INTO clients (id, professional_id, name, email, phone) VALUES (1, 1, 'Eva', 'eva@example.com', '611');
INSERT INTO availability_blocks (id, professional_id, is_recurring, day_of_week, start_time, end_time)
    VALUES (1, 1, true, 2, '09:00', '13:00');
INSERT INTO availability_blocks (id, professional_id, is_recurring, specific_date, start_time, end_time)
    VALUES (2, 1, false, '2030-05-04', '16:00', '18:00');
INSERT INTO time_off (id, professional_id, start_datetime, end_datetime, reason)
    VALUES (1, 1, '2030-08-01T00:00Z', '2030-08-15T00:00Z', 'Holiday');
INSERT INTO appointments (id, professional_id, client_id, service_id, start_datetime, end_datetime, status)
    VALUES (1, 1, 1, 1, '2030-05-06T09:00Z', '2030-05-06T09:50Z', 'confirmed');
INSERT INTO appointment_requests (id, professional_id, service_id, start_datetime, end_datetime, name, email,
                                  phone, status)
    VALUES (1, 1, 1, '2030-05-07T09:00Z', '2030-05-07T09:50Z', 'Rita', 'rita@example.com', '622', 'pending');
INSERT INTO public_links (id, professional_id, appointment_id, purpose, token_hash, token_nonce, expires_at)
    VALUES (1, 1, 1, 'appointment', decode(repeat('ab', 32), 'hex'), '\\x01', '2030-06-01T00:00Z');
INSERT INTO notifications (id, professional_id, appointment_id, kind, channel, recipient)
    VALUES (1, 1, 1, 'booking_confirmation', 'email', 'eva@example.com');
INSERT INTO audit_logs (id, actor_user_id, professional_id, action, entity_type, entity_id)
    VALUES (1, 1, 1, 'appointment.created', 'appointment', 1);
INSERT INTO password_reset_tokens (user_id, token_hash, token_nonce, expires_at)
    VALUES (1, decode(repeat('cd', 32), 'hex'), '\\x02', '2030-01-01T00:00Z');
INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at)
    VALUES (1, 1, gen_random_uuid(), decode(repeat('ef', 32), 'hex'), '2030-01-01T00:00Z');
SELECT setval(pg_get_serial_sequence(t, 'id'), 10)
    FROM unnest(ARRAY['users', 'professionals', 'services', 'clients', 'availability_blocks', 'time_off',
                      'appointments', 'appointment_requests', 'public_links', 'notifications', 'audit_logs',
                      'refresh_tokens']) AS t;
"""

# The same rows read under each revision's names.
READ_AT_0001 = {
    "availability_blocks": "SELECT id, day_of_week AS day, specific_date::text AS date "
                           "FROM availability_blocks ORDER BY id",
    "appointment_requests": "SELECT start_datetime::text AS at, name, email, phone FROM appointment_requests",
    "notifications": "SELECT kind AS what, channel::text AS channel, recipient FROM notifications",
    "audit_logs": "SELECT actor_user_id AS who, action FROM audit_logs",
    "password_resets": "SELECT id, user_id, encode(token_hash, 'hex') AS hash FROM password_reset_tokens",
    "public_links": "SELECT purpose::text AS what, appointment_id FROM public_links",
    "professional_settings": "SELECT professional_id, booking_advance_days FROM professional_settings",
    "appointments": "SELECT client_id, service_id, status::text AS status FROM appointments",
}
READ_AT_HEAD = {
    "availability_blocks": "SELECT id, weekday AS day, specific_date::text AS date "
                           "FROM availability_blocks ORDER BY id",
    "appointment_requests": "SELECT requested_datetime::text AS at, client_name AS name, "
                            "client_email AS email, client_phone AS phone FROM appointment_requests",
    "notifications": 'SELECT "type" AS what, channel::text AS channel, recipient FROM notifications',
    "audit_logs": "SELECT user_id AS who, action FROM audit_logs",
    "password_resets": "SELECT id, user_id, encode(token_hash, 'hex') AS hash FROM password_resets",
    "public_links": 'SELECT "type"::text AS what, appointment_id FROM public_links',
    "professional_settings": "SELECT professional_id, booking_advance_days FROM professional_settings",
    "appointments": "SELECT client_id, service_id, status::text AS status FROM appointments",
}
OTHER_TABLES = ("users", "professionals", "services", "clients", "time_off", "refresh_tokens")


@pytest.fixture
def url():
    name = f"agenda_migration_data_{RUN_ID}"
    yield create_database(name)
    drop_database(name)


def _read(url: str, queries: dict[str, str]) -> dict[str, list[dict]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = {name: [dict(r._mapping) for r in conn.execute(text(sql))]
                     for name, sql in queries.items()}
            found |= {name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                      for name in OTHER_TABLES}
            return found
    finally:
        engine.dispose()


def _run(url: str, sql: str) -> list:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql))
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


def _seed_at_0001(url: str) -> None:
    migrate(url, "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(ROWS_AT_0001)
    engine.dispose()


def test_rows_in_every_table_survive_the_upgrade_and_the_downgrade(url):
    _seed_at_0001(url)
    before = _read(url, READ_AT_0001)
    assert all(before[name] for name in (*READ_AT_0001, *OTHER_TABLES))

    migrate(url, "head")

    assert _read(url, READ_AT_HEAD) == before
    [settings] = _run(url, "SELECT id, professional_id FROM professional_settings")
    assert settings.id is not None and settings.professional_id == 1
    assert _run(url, "SELECT address FROM professionals") == [(None,)]
    # The renamed table's sequence still numbers new rows.
    [(new_id,)] = _run(url, "INSERT INTO password_resets (user_id, token_hash, token_nonce, expires_at) "
                            "VALUES (1, decode(repeat('aa', 32), 'hex'), '\\x03', now()) RETURNING id")
    assert new_id == before["password_resets"][0]["id"] + 1
    _run(url, f"DELETE FROM password_resets WHERE id = {new_id}")

    migrate(url, "0001", direction="downgrade")

    assert _read(url, READ_AT_0001) == before
    migrate(url, "head")
    assert _read(url, READ_AT_HEAD) == before


def test_rows_written_under_the_new_names_go_back_down_too(url):
    _seed_at_0001(url)
    migrate(url, "head")
    _run(url, "INSERT INTO notifications (professional_id, type, channel, recipient) "
              "VALUES (1, 'reminder', 'email', 'eva@example.com')")
    _run(url, "INSERT INTO availability_blocks (professional_id, is_recurring, weekday, start_time, "
              "end_time) VALUES (1, true, 4, '10:00', '12:00')")

    migrate(url, "0001", direction="downgrade")

    assert _run(url, "SELECT kind, channel FROM notifications ORDER BY id") == [
        ("booking_confirmation", "email"), ("reminder", "email")]
    weekly = _run(url, "SELECT day_of_week FROM availability_blocks WHERE is_recurring ORDER BY id")
    assert weekly == [(2,), (4,)]


def test_holds_start_on_for_existing_accounts_and_go_down_as_pending_and_cancelled(url):
    _seed_at_0001(url)
    migrate(url, "0006_embed_origins")
    migrate(url, "0007_booking_holds")

    assert _run(url, "SELECT require_email_confirmation, booking_hold_minutes FROM professional_settings") \
        == [(True, 30)]
    _run(url, "INSERT INTO appointments (professional_id, client_id, service_id, start_datetime, "
              "end_datetime, status, hold_expires_at, hold_client_key) VALUES "
              "(1, 1, 1, '2030-05-08T09:00Z', '2030-05-08T09:50Z', 'held', '2030-05-01T09:30Z', "
              "'192.0.2.1'), "
              "(1, 1, 1, '2030-05-08T09:00Z', '2030-05-08T09:50Z', 'expired', '2030-05-01T09:00Z', NULL)")
    # A second hold of the same time is refused while the first is held (the constraint counts holds).
    with pytest.raises(Exception, match="ex_appointments_no_overlap"):
        _run(url, "INSERT INTO appointments (professional_id, client_id, service_id, start_datetime, "
                  "end_datetime, status, hold_expires_at) VALUES "
                  "(1, 1, 1, '2030-05-08T09:10Z', '2030-05-08T10:00Z', 'held', '2030-05-01T09:30Z')")

    migrate(url, "0006_embed_origins", direction="downgrade")

    assert _run(url, "SELECT status::text, cancelled_at IS NOT NULL FROM appointments ORDER BY id") == [
        ("confirmed", False), ("pending", False), ("cancelled_by_client", True)]
    migrate(url, "head")
    assert _run(url, "SELECT count(*) FROM appointments") == [(3,)]


def test_a_series_goes_down_to_single_appointments_and_its_table_comes_back_empty(url):
    _seed_at_0001(url)
    migrate(url, "head")
    [(series_id,)] = _run(url, "INSERT INTO appointment_series (professional_id, client_id, service_id, "
                               "every_weeks, count, start_datetime, timezone) "
                               "VALUES (1, 1, 1, 1, 2, '2030-05-13T09:00Z', 'Europe/Madrid') RETURNING id")
    _run(url, "INSERT INTO appointments (professional_id, client_id, service_id, start_datetime, "
              "end_datetime, status, series_id, recurrence_start) VALUES "
              f"(1, 1, 1, '2030-05-13T09:00Z', '2030-05-13T09:50Z', 'confirmed', {series_id}, "
              "'2030-05-13T09:00Z'), "
              f"(1, 1, 1, '2030-05-20T09:00Z', '2030-05-20T09:50Z', 'confirmed', {series_id}, "
              "'2030-05-20T09:00Z')")
    assert _run(url, "SELECT allow_client_series_cancel FROM professional_settings") == [(False,)]

    migrate(url, "0006_embed_origins", direction="downgrade")

    assert _run(url, "SELECT count(*) FROM appointments") == [(3,)]  # the single one and both occurrences
    assert _run(url, "SELECT to_regclass('appointment_series')") == [(None,)]
    migrate(url, "head")
    assert _run(url, "SELECT count(*) FROM appointments WHERE series_id IS NULL") == [(3,)]
    assert _run(url, "SELECT count(*) FROM appointment_series") == [(0,)]
