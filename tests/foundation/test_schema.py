"""The schema: migrations run both ways, match the models, and the database itself refuses bad rows."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.models import Base
from tests.conftest import RUN_ID, create_database, drop_database, migrate
from tests.factories import make_appointment, make_block, make_client, make_professional, make_service

pytestmark = pytest.mark.schema

UTC = dt.UTC
EXPECTED_TABLES = {
    "users", "professionals", "professional_settings", "services", "clients", "availability_blocks",
    "time_off", "appointments", "appointment_requests", "public_links", "notifications", "audit_logs",
    "password_resets", "refresh_tokens", "public_slugs", "calendar_feeds", "calendar_sources",
    "calendar_busy_intervals", "appointment_series",
}


@pytest.fixture(scope="module")
def schema_url():
    name = f"agenda_schema_test_{RUN_ID}"
    yield create_database(name)
    drop_database(name)


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_upgrade_downgrade_and_upgrade_again_on_an_empty_database(schema_url):
    migrate(schema_url, "head")
    assert _tables(schema_url) == EXPECTED_TABLES
    migrate(schema_url, "base", direction="downgrade")
    assert _tables(schema_url) == set()
    engine = create_engine(schema_url)
    with engine.connect() as conn:
        leftovers = conn.execute(text(
            "SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = 'public' AND t.typtype = 'e'")).all()
    engine.dispose()
    assert leftovers == []
    migrate(schema_url, "head")
    assert _tables(schema_url) == EXPECTED_TABLES


def test_models_and_migrations_agree(schema_url):
    migrate(schema_url, "head")
    engine = create_engine(schema_url)
    with engine.connect() as conn:
        options = {"compare_type": True, "compare_server_default": True}
        context = MigrationContext.configure(conn, opts=options)
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


@pytest.fixture
def raw_session(schema_url):
    migrate(schema_url, "head")
    engine = create_engine(schema_url)
    with Session(engine) as session:
        yield session
        session.rollback()
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE users, professionals RESTART IDENTITY CASCADE"))
    engine.dispose()


def _violates(session: Session, sqlstate: str, build) -> None:
    savepoint = session.begin_nested()
    with pytest.raises(IntegrityError) as caught:
        build()
        session.flush()
    savepoint.rollback()
    assert caught.value.orig.sqlstate == sqlstate


def test_database_refuses_overlapping_active_appointments(raw_session):
    pro = make_professional(raw_session)
    service, client = make_service(raw_session, pro), make_client(raw_session, pro)
    start = dt.datetime(2027, 3, 1, 9, tzinfo=UTC)
    make_appointment(raw_session, pro, service=service, client=client, start=start)
    _violates(raw_session, "23P01", lambda: make_appointment(
        raw_session, pro, service=service, client=client, start=start + dt.timedelta(minutes=30)))
    # Back to back is fine ('[)'), and cancelled appointments do not hold the time.
    make_appointment(raw_session, pro, service=service, client=client, start=start + dt.timedelta(hours=1))
    make_appointment(raw_session, pro, service=service, client=client, start=start,
                     status="cancelled_by_client")


def test_database_refuses_a_client_or_service_of_another_professional(raw_session):
    pro, other = make_professional(raw_session), make_professional(raw_session)
    service = make_service(raw_session, pro)
    foreign_client = make_client(raw_session, other)
    _violates(raw_session, "23503", lambda: make_appointment(
        raw_session, pro, service=service, client=foreign_client,
        start=dt.datetime(2027, 3, 1, 9, tzinfo=UTC)))
    foreign_service = make_service(raw_session, other)
    own_client = make_client(raw_session, pro)
    _violates(raw_session, "23503", lambda: make_appointment(
        raw_session, pro, service=foreign_service, client=own_client,
        start=dt.datetime(2027, 3, 1, 9, tzinfo=UTC)))


def test_database_refuses_duplicate_client_email_per_professional(raw_session):
    pro, other = make_professional(raw_session), make_professional(raw_session)
    make_client(raw_session, pro, email="ana@example.com")
    make_client(raw_session, other, email="ana@example.com")
    _violates(raw_session, "23505", lambda: make_client(raw_session, pro, email="ana@example.com"))


@pytest.mark.parametrize("kwargs", [
    {"weekday": 1, "start": "13:00", "end": "09:00"},
    {"weekday": 7},
    {"weekday": None, "specific_date": None},
])
def test_database_refuses_bad_availability_blocks(raw_session, kwargs):
    pro = make_professional(raw_session)
    _violates(raw_session, "23514", lambda: make_block(raw_session, pro, **kwargs))


def test_database_refuses_a_block_that_is_both_recurring_and_dated(raw_session):
    pro = make_professional(raw_session)

    def build():
        block = make_block(raw_session, pro, weekday=1)
        block.specific_date = dt.date(2027, 3, 2)

    _violates(raw_session, "23514", build)


def test_partial_unique_blocks_per_weekday_and_per_date(raw_session):
    pro = make_professional(raw_session)
    make_block(raw_session, pro, weekday=2, start="09:00", end="10:00")
    make_block(raw_session, pro, specific_date=dt.date(2027, 3, 3), start="09:00", end="10:00")
    # The blueprint's UNIQUE(professional_id, weekday | specific_date, start_time, end_time); the service
    # refuses overlaps too, but two equal blocks never reach the table.
    _violates(raw_session, "23505", lambda: make_block(raw_session, pro, weekday=2, start="09:00",
                                                       end="10:00"))
    _violates(raw_session, "23505", lambda: make_block(raw_session, pro, specific_date=dt.date(2027, 3, 3),
                                                       start="09:00", end="10:00"))


def test_settings_ranges_are_checked_by_the_database(raw_session):
    _violates(raw_session, "23514", lambda: make_professional(raw_session, booking_advance_days=0))
    _violates(raw_session, "23514", lambda: make_professional(raw_session, locale="fr"))


def test_updated_at_moves_on_every_update(raw_session):
    pro = make_professional(raw_session)
    raw_session.commit()
    before = pro.updated_at
    raw_session.execute(text("UPDATE professionals SET bio = 'x' WHERE id = :id"), {"id": pro.id})
    raw_session.commit()
    raw_session.refresh(pro)
    assert pro.updated_at > before
