"""A public booking can be held until the client confirms it from their email.

Two appointment statuses: `held` (booked on the public page, blocking its slot, waiting for the client to
open the confirmation link until `hold_expires_at`) and `expired` (a hold nobody confirmed; it blocks
nothing and is not a cancellation). `hold_client_key` is the client address (IPv6: its /64) a hold came
from, for the limit on open holds per address; it is cleared when the hold ends. The exclusion constraint
now covers held appointments too; `ix_appointments_held_professional_start` finds the holds of a
professional's day. Two settings per professional: `require_email_confirmation` (on, for everyone) and
`booking_hold_minutes` (30).

Downgrade: a hold still waiting becomes `pending` (it keeps its slot, as a booking awaiting confirmation);
an expired hold becomes `cancelled_by_client`, cancelled at its expiry (the old schema has no other way
to say the slot is free again); the columns and settings go.

Revision ID: 0007_booking_holds
Revises: 0006_embed_origins
Create Date: 2026-12-06 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_booking_holds"
down_revision: str | None = "0006_embed_origins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("pending", "confirmed", "completed", "cancelled_by_professional", "cancelled_by_client")
ACTIVE = "status IN ('pending', 'confirmed')"
BLOCKING = "status IN ('pending', 'confirmed', 'held')"


def _no_overlap(where: str) -> None:
    op.execute("ALTER TABLE appointments ADD CONSTRAINT ex_appointments_no_overlap EXCLUDE USING gist "
               "(professional_id WITH =, tstzrange(start_datetime, end_datetime, '[)') WITH &&) "
               f"WHERE ({where})")


def upgrade() -> None:
    # A new enum value can be used only once committed: added outside the migration's transaction.
    with op.get_context().autocommit_block():
        op.execute("ALTER TYPE appointment_status ADD VALUE IF NOT EXISTS 'held'")
        op.execute("ALTER TYPE appointment_status ADD VALUE IF NOT EXISTS 'expired'")
    op.add_column("appointments", sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("appointments", sa.Column("hold_client_key", sa.String(length=64), nullable=True))
    op.create_check_constraint("held_until", "appointments",
                               "status <> 'held' OR hold_expires_at IS NOT NULL")
    op.drop_constraint("ex_appointments_no_overlap", "appointments")
    _no_overlap(BLOCKING)
    op.create_index("ix_appointments_held_professional_start", "appointments",
                    ["professional_id", "start_datetime"], postgresql_where=sa.text("status = 'held'"))
    op.add_column("professional_settings", sa.Column(
        "require_email_confirmation", sa.Boolean(), nullable=False, server_default=sa.text("true")))
    op.add_column("professional_settings", sa.Column(
        "booking_hold_minutes", sa.Integer(), nullable=False, server_default="30"))
    op.create_check_constraint("booking_hold_minutes_range", "professional_settings",
                               "booking_hold_minutes BETWEEN 5 AND 1440")


def downgrade() -> None:
    op.drop_constraint("ck_professional_settings_booking_hold_minutes_range", "professional_settings")
    op.drop_column("professional_settings", "booking_hold_minutes")
    op.drop_column("professional_settings", "require_email_confirmation")
    op.execute("UPDATE appointments SET status = 'pending' WHERE status = 'held'")
    op.execute("UPDATE appointments SET status = 'cancelled_by_client', cancelled_at = hold_expires_at "
               "WHERE status = 'expired'")
    op.drop_index("ix_appointments_held_professional_start", table_name="appointments")
    op.drop_constraint("ck_appointments_held_until", "appointments")
    op.drop_constraint("ex_appointments_no_overlap", "appointments")
    op.drop_index("ix_appointments_active_professional_start", table_name="appointments")
    op.drop_index("ix_appointments_active_start", table_name="appointments")
    op.drop_column("appointments", "hold_client_key")
    op.drop_column("appointments", "hold_expires_at")
    # PostgreSQL cannot drop an enum value: the type is made again without the two.
    op.execute("ALTER TYPE appointment_status RENAME TO appointment_status_with_holds")
    postgresql.ENUM(*OLD_STATUSES, name="appointment_status").create(op.get_bind())
    op.execute("ALTER TABLE appointments ALTER COLUMN status DROP DEFAULT")
    op.execute("ALTER TABLE appointments ALTER COLUMN status TYPE appointment_status "
               "USING status::text::appointment_status")
    op.execute("ALTER TABLE appointments ALTER COLUMN status SET DEFAULT 'pending'")
    op.execute("DROP TYPE appointment_status_with_holds")
    _no_overlap(ACTIVE)
    op.create_index("ix_appointments_active_professional_start", "appointments",
                    ["professional_id", "start_datetime"], postgresql_where=sa.text(ACTIVE))
    op.create_index("ix_appointments_active_start", "appointments", ["start_datetime"],
                    postgresql_where=sa.text(ACTIVE))
