"""Calendar feeds, calendar sources and the busy time read from them.

Revision ID: 0004_calendars
Revises: 0003_blueprint_names
Create Date: 2026-12-05 23:42:30.576891
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_calendars"
down_revision: str | None = "0003_blueprint_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("professional_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("token_nonce", sa.LargeBinary(), nullable=False),
        sa.Column("show_client_names", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("octet_length(token_hash) = 32", name=op.f("ck_calendar_feeds_token_hash_sha256")),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_calendar_feeds_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("professional_id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    op.create_table(
        "calendar_sources",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("professional_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Enum("ics", "caldav", name="calendar_source_kind"), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("username", sa.String(length=254), nullable=True),
        sa.Column("password_encrypted", sa.Text(), nullable=True),
        sa.Column("all_day_blocks", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("etag", sa.String(length=400), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("content_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("busy_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind = 'ics' OR (username IS NOT NULL AND password_encrypted IS NOT NULL)",
            name=op.f("ck_calendar_sources_caldav_has_credentials"),
        ),
        sa.CheckConstraint("busy_count >= 0", name=op.f("ck_calendar_sources_busy_count_not_negative")),
        sa.CheckConstraint("length(url) BETWEEN 8 AND 2048", name=op.f("ck_calendar_sources_url_length")),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_calendar_sources_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_sources")),
    )
    op.create_index(
        "ix_calendar_sources_professional_id", "calendar_sources", ["professional_id"], unique=False
    )
    op.create_table(
        "calendar_busy_intervals",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("professional_id", sa.BigInteger(), nullable=False),
        sa.Column("start_datetime", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_datetime", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "start_datetime < end_datetime", name=op.f("ck_calendar_busy_intervals_start_before_end")
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_calendar_busy_intervals_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["calendar_sources.id"],
            name=op.f("fk_calendar_busy_intervals_source_id_calendar_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_busy_intervals")),
    )
    op.create_index(
        "ix_calendar_busy_intervals_professional_id_start_datetime",
        "calendar_busy_intervals",
        ["professional_id", "start_datetime"],
        unique=False,
    )
    op.create_index(
        "ix_calendar_busy_intervals_source_id", "calendar_busy_intervals", ["source_id"], unique=False
    )
    for table in ("calendar_feeds", "calendar_sources"):
        op.execute(
            f"CREATE TRIGGER {table}_set_updated_at BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
        )


def downgrade() -> None:
    op.drop_index("ix_calendar_busy_intervals_source_id", table_name="calendar_busy_intervals")
    op.drop_index(
        "ix_calendar_busy_intervals_professional_id_start_datetime", table_name="calendar_busy_intervals"
    )
    op.drop_table("calendar_busy_intervals")
    op.drop_index("ix_calendar_sources_professional_id", table_name="calendar_sources")
    op.drop_table("calendar_sources")
    op.drop_table("calendar_feeds")
    op.execute("DROP TYPE IF EXISTS calendar_source_kind")
