"""The notes migration: the client's words become client_comment, private notes are encrypted, and the
downgrade gives the old single notes column back."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from shared import secretbox
from shared.config import get_settings
from tests.conftest import RUN_ID, create_database, drop_database, migrate

pytestmark = pytest.mark.schema

CLIENT_NOTES = {1: "Client file: anxiety", 2: None}
BEFORE = "0001"
NOTES_MIGRATION = "0002"

ROWS = """
INSERT INTO users (id, email, password_hash, name) VALUES (1, 'pro@example.com', 'x', 'Pro');
INSERT INTO professionals (id, user_id, business_name, public_slug) VALUES (1, 1, 'Practice', 'practice');
INSERT INTO services (id, professional_id, name, duration_minutes) VALUES (1, 1, 'Session', 60);
INSERT INTO clients (id, professional_id, name, email, notes)
    VALUES (1, 1, 'Eva', 'eva@example.com', 'Client file: anxiety'), (2, 1, 'Leo', 'leo@example.com', NULL);
INSERT INTO appointments (id, professional_id, client_id, service_id, start_datetime, end_datetime, status,
                          notes, created_from_public_link) VALUES
    (1, 1, 1, 1, '2030-01-01 09:00Z', '2030-01-01 10:00Z', 'confirmed', 'Knee pain, booked online', true),
    (2, 1, 1, 1, '2030-01-02 09:00Z', '2030-01-02 10:00Z', 'confirmed', 'Edited: panic attacks', true),
    (3, 1, 2, 1, '2030-01-03 09:00Z', '2030-01-03 10:00Z', 'pending', 'Booked by hand: grief', false),
    (4, 1, 2, 1, '2030-01-04 09:00Z', '2030-01-04 10:00Z', 'pending', NULL, true);
INSERT INTO audit_logs (professional_id, action, entity_type, entity_id, metadata)
    VALUES (1, 'appointment.updated', 'appointment', 2, '{"fields": ["notes"]}'),
           (1, 'appointment.updated', 'appointment', 1, '{"fields": ["client_id"]}');
INSERT INTO appointment_requests (id, professional_id, service_id, start_datetime, end_datetime, name, email,
                                  notes) VALUES (1, 1, 1, '2030-01-05 09:00Z', '2030-01-05 10:00Z', 'Ann',
                                  'ann@example.com', 'Evenings are hard');
"""


@pytest.fixture
def old_database():
    name = f"agenda_notes_migration_{RUN_ID}"
    url = create_database(name)
    migrate(url, BEFORE)
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in ROWS.split(";"):
            if statement.strip():
                conn.execute(text(statement))
    yield url, engine
    engine.dispose()
    drop_database(name)


def _column(engine, sql: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(text(sql)).all())


def test_upgrade_splits_the_client_comment_from_private_notes_and_encrypts_them(old_database):
    url, engine = old_database

    migrate(url, NOTES_MIGRATION)

    comments = _column(engine, "SELECT id, client_comment FROM appointments ORDER BY id")
    notes = _column(engine, "SELECT id, notes FROM appointments ORDER BY id")
    assert comments == {1: "Knee pain, booked online", 2: None, 3: None, 4: None}
    assert notes[1] is None and notes[4] is None
    ring = get_settings().keyring
    for appointment_id, text_ in ((2, "Edited: panic attacks"), (3, "Booked by hand: grief")):
        assert notes[appointment_id].startswith(f"v1:{ring.current_id}:")
        assert "panic" not in notes[appointment_id] and "grief" not in notes[appointment_id]
        assert secretbox.decrypt(notes[appointment_id]) == text_
    client_notes = _column(engine, "SELECT id, notes FROM clients ORDER BY id")
    assert client_notes[2] is None and secretbox.decrypt(client_notes[1]) == "Client file: anxiety"
    assert _column(engine, "SELECT id, client_comment FROM appointment_requests") == {1: "Evenings are hard"}


def test_downgrade_brings_back_one_plain_notes_column(old_database):
    url, engine = old_database
    migrate(url, NOTES_MIGRATION)
    with engine.begin() as conn:  # an appointment that now has both a comment and a private note
        conn.execute(text("UPDATE appointments SET notes = :notes WHERE id = 1"),
                     {"notes": secretbox.encrypt("Follow up in May")})

    migrate(url, BEFORE, direction="downgrade")

    assert _column(engine, "SELECT id, notes FROM appointments ORDER BY id") == {
        1: "Knee pain, booked online\n\nFollow up in May", 2: "Edited: panic attacks",
        3: "Booked by hand: grief", 4: None}
    assert _column(engine, "SELECT id, notes FROM clients ORDER BY id") == CLIENT_NOTES
    assert _column(engine, "SELECT id, notes FROM appointment_requests") == {1: "Evenings are hard"}


def test_rows_with_notes_and_no_key_stop_the_migration_naming_the_setting(old_database, monkeypatch):
    url, engine = old_database
    monkeypatch.delenv("ENCRYPTION_KEY")

    with pytest.raises(Exception, match="ENCRYPTION_KEY"):
        migrate(url, NOTES_MIGRATION)

    # Nothing half done: the migration runs in one transaction.
    assert _column(engine, "SELECT id, notes FROM clients ORDER BY id") == CLIENT_NOTES
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == BEFORE
