"""Weekly series: recurring appointments, each occurrence a real appointment row.

`appointment_series` holds the pattern (every N weeks at one local time, `count` times or `until` a date)
and its calendar SEQUENCE; `appointments.series_id` and `appointments.recurrence_start` tie an occurrence
to its series and to its place in the pattern. `professional_settings.allow_client_series_cancel` lets a
client's link cancel the rest of a series. Every existing row stays a single appointment; downgrade drops
the series (its occurrences stay as single appointments).

Revision ID: 0008_appointment_series
Revises: 0007_booking_holds
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_appointment_series"
down_revision: str | None = "0007_booking_holds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appointment_series",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("professional_id", sa.BigInteger(), nullable=False),
        sa.Column("client_id", sa.BigInteger(), nullable=True),
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("every_weeks", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.SmallInteger(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("start_datetime", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("every_weeks BETWEEN 1 AND 4",
                           name=op.f("ck_appointment_series_every_weeks_range")),
        sa.CheckConstraint("count IS NULL OR count BETWEEN 2 AND 52",
                           name=op.f("ck_appointment_series_count_range")),
        sa.CheckConstraint("(count IS NULL) <> (until IS NULL)",
                           name=op.f("ck_appointment_series_count_or_until")),
        sa.ForeignKeyConstraint(["professional_id"], ["professionals.id"],
                                name=op.f("fk_appointment_series_professional_id_professionals"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["professional_id", "client_id"], ["clients.professional_id", "clients.id"],
                                name="fk_appointment_series_client_same_professional",
                                ondelete="SET NULL (client_id)"),
        sa.ForeignKeyConstraint(["professional_id", "service_id"],
                                ["services.professional_id", "services.id"],
                                name="fk_appointment_series_service_same_professional", ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_series")),
    )
    op.create_index("ix_appointment_series_professional_id", "appointment_series", ["professional_id"])
    op.execute("CREATE TRIGGER appointment_series_set_updated_at BEFORE UPDATE ON appointment_series "
               "FOR EACH ROW EXECUTE FUNCTION set_updated_at()")
    op.add_column("appointments", sa.Column("series_id", sa.BigInteger(), nullable=True))
    op.add_column("appointments", sa.Column("recurrence_start", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(op.f("fk_appointments_series_id_appointment_series"), "appointments",
                          "appointment_series", ["series_id"], ["id"], ondelete="RESTRICT")
    op.create_check_constraint(op.f("ck_appointments_series_occurrence"), "appointments",
                               "(series_id IS NULL) = (recurrence_start IS NULL)")
    op.create_unique_constraint(op.f("uq_appointments_series_id_recurrence_start"), "appointments",
                                ["series_id", "recurrence_start"])
    op.add_column("professional_settings", sa.Column(
        "allow_client_series_cancel", sa.Boolean(), server_default=sa.text("false"), nullable=False))


def downgrade() -> None:
    op.drop_column("professional_settings", "allow_client_series_cancel")
    op.drop_constraint(op.f("uq_appointments_series_id_recurrence_start"), "appointments", type_="unique")
    op.drop_constraint(op.f("ck_appointments_series_occurrence"), "appointments", type_="check")
    op.drop_constraint(op.f("fk_appointments_series_id_appointment_series"), "appointments",
                       type_="foreignkey")
    op.drop_column("appointments", "recurrence_start")
    op.drop_column("appointments", "series_id")
    op.drop_table("appointment_series")
