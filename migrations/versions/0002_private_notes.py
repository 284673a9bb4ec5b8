"""Private notes apart from the client's comment, and encrypted at rest.

`appointments.notes` held both what a client wrote when booking and the professional's own notes. The
client's words move to `appointments.client_comment` (and `appointment_requests.notes` becomes
`client_comment`); `appointments.notes` and `clients.notes` are the professional's private notes and are
encrypted with ENCRYPTION_KEY (shared.secretbox), so the database and its dumps hold only ciphertext.

Which existing appointment notes are the client's: those of appointments booked through the public page
(or an accepted request) that the professional never changed afterwards (no `appointment.updated` audit
row naming `notes`). Every other note is treated as private: a client comment kept private loses
nothing, a private note taken for a comment would be e-mailed.

Rows with notes need the key (ENCRYPTION_KEY, as for the application); an empty database needs none.
Downgrade decrypts and puts each appointment's comment and notes back into one `notes` column.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRIVATE_NOTES = (("appointments", "notes"), ("clients", "notes"))
BATCH = 500


def _keyring():
    from shared.config import load_keyring

    return load_keyring()


def _rewrite(table: str, column: str, change) -> None:
    """Apply `change` to every non-null value of table.column, in batches, keyring loaded only if needed."""
    bind = op.get_bind()
    after = 0
    ring = None
    while True:
        rows = bind.execute(sa.text(
            f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL AND id > :after "
            "ORDER BY id LIMIT :limit"), {"after": after, "limit": BATCH}).all()
        if not rows:
            return
        ring = ring or _keyring()
        bind.execute(sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
                     [{"id": row_id, "value": change(ring, value)} for row_id, value in rows])
        after = rows[-1][0]


def upgrade() -> None:
    op.add_column("appointments", sa.Column("client_comment", sa.Text(), nullable=True))
    op.alter_column("appointment_requests", "notes", new_column_name="client_comment")
    op.execute("""
        UPDATE appointments AS a SET client_comment = a.notes, notes = NULL
        WHERE a.notes IS NOT NULL AND a.created_from_public_link
          AND NOT EXISTS (
              SELECT 1 FROM audit_logs AS l
              WHERE l.entity_type = 'appointment' AND l.entity_id = a.id AND l.action = 'appointment.updated'
                AND l.metadata -> 'fields' ? 'notes')
    """)
    for table, column in PRIVATE_NOTES:
        _rewrite(table, column, lambda ring, value: ring.encrypt(value))


def downgrade() -> None:
    for table, column in PRIVATE_NOTES:
        _rewrite(table, column, lambda ring, value: ring.decrypt(value))
    op.execute("""
        UPDATE appointments SET notes = CASE
            WHEN notes IS NULL THEN client_comment
            WHEN client_comment IS NULL THEN notes
            ELSE client_comment || E'\\n\\n' || notes END
        WHERE client_comment IS NOT NULL
    """)
    op.drop_column("appointments", "client_comment")
    op.alter_column("appointment_requests", "client_comment", new_column_name="notes")
