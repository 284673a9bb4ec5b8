"""Initial schema: every table, the no-double-booking exclusion and the updated_at triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-29 18:07:02.418222
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ENUM_TYPES = (
    "link_purpose",
    "notification_status",
    "request_status",
    "appointment_status",
    "default_appointment_status",
    "user_role",
)

UPDATED_AT_FUNCTION = """
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$
"""


def _tables_with_updated_at() -> list[str]:
    # Frozen here so the migration never changes with the models.
    return [
        "users",
        "professionals",
        "professional_settings",
        "services",
        "clients",
        "availability_blocks",
        "time_off",
        "appointments",
        "appointment_requests",
        "public_links",
        "notifications",
    ]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(UPDATED_AT_FUNCTION)
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum("professional", "admin", name="user_role"),
            server_default="professional",
            nullable=False,
        ),
        sa.Column(
            "is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "email = lower(btrim(email))", name=op.f("ck_users_email_normalized")
        ),
        sa.CheckConstraint(
            "length(email) BETWEEN 3 AND 254", name=op.f("ck_users_email_length")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "password_reset_tokens",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("token_nonce", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "octet_length(token_hash) = 32",
            name=op.f("ck_password_reset_tokens_token_hash_sha256"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_password_reset_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_tokens")),
        sa.UniqueConstraint(
            "token_hash", name=op.f("uq_password_reset_tokens_token_hash")
        ),
    )
    op.create_index(
        "ix_password_reset_tokens_user_id",
        "password_reset_tokens",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "professionals",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("business_name", sa.String(length=200), nullable=False),
        sa.Column("public_slug", sa.String(length=80), nullable=False),
        sa.Column(
            "timezone",
            sa.String(length=64),
            server_default="Europe/Madrid",
            nullable=False,
        ),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column(
            "is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "public_slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'",
            name=op.f("ck_professionals_public_slug_format"),
        ),
        sa.CheckConstraint(
            "length(public_slug) BETWEEN 3 AND 80",
            name=op.f("ck_professionals_public_slug_length"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_professionals_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_professionals")),
        sa.UniqueConstraint("public_slug", name=op.f("uq_professionals_public_slug")),
        sa.UniqueConstraint("user_id", name=op.f("uq_professionals_user_id")),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("family_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "octet_length(token_hash) = 32",
            name=op.f("ck_refresh_tokens_token_hash_sha256"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index(
        "ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"], unique=False
    )
    op.create_index(
        "ix_refresh_tokens_user_id", "refresh_tokens", ["user_id"], unique=False
    )
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("professional_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("entity_type", sa.String(length=60), nullable=True),
        sa.Column("entity_id", sa.BigInteger(), nullable=True),
        sa.Column("ip_address", postgresql.INET(), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_audit_logs_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_audit_logs_professional_id_professionals"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
    )
    op.create_index(
        "ix_audit_logs_actor_user_id_created_at",
        "audit_logs",
        ["actor_user_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_audit_logs_professional_id_created_at",
        "audit_logs",
        ["professional_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "availability_blocks",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("professional_id", sa.BigInteger(), nullable=False),
        sa.Column("is_recurring", sa.Boolean(), nullable=False),
        sa.Column("day_of_week", sa.SmallInteger(), nullable=True),
        sa.Column("specific_date", sa.Date(), nullable=True),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(is_recurring AND day_of_week IS NOT NULL AND specific_date IS NULL)"
            " OR (NOT is_recurring AND specific_date IS NOT NULL AND day_of_week IS NULL)",
            name=op.f("ck_availability_blocks_recurring_or_specific_date"),
        ),
        sa.CheckConstraint(
            "day_of_week BETWEEN 0 AND 6",
            name=op.f("ck_availability_blocks_day_of_week_range"),
        ),
        sa.CheckConstraint(
            "start_time < end_time",
            name=op.f("ck_availability_blocks_start_before_end"),
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_availability_blocks_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_blocks")),
    )
    op.create_index(
        "uq_availability_blocks_recurring_start",
        "availability_blocks",
        ["professional_id", "day_of_week", "start_time"],
        unique=True,
        postgresql_where=sa.text("is_recurring"),
    )
    op.create_index(
        "uq_availability_blocks_specific_start",
        "availability_blocks",
        ["professional_id", "specific_date", "start_time"],
        unique=True,
        postgresql_where=sa.text("NOT is_recurring"),
    )
    op.create_table(
        "clients",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("professional_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "email = lower(btrim(email))", name=op.f("ck_clients_email_normalized")
        ),
        sa.CheckConstraint(
            "length(btrim(name)) > 0", name=op.f("ck_clients_name_not_blank")
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_clients_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.UniqueConstraint(
            "professional_id",
            "email",
            name=op.f("uq_clients_professional_id_email"),
            postgresql_nulls_not_distinct=True,
        ),
        sa.UniqueConstraint(
            "professional_id", "id", name=op.f("uq_clients_professional_id_id")
        ),
    )
    op.create_index(
        "ix_clients_email_trgm",
        "clients",
        ["email"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"email": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_clients_name_trgm",
        "clients",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_table(
        "professional_settings",
        sa.Column("professional_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "allow_public_booking",
            sa.Boolean(),
            server_default=sa.text("true"),
            nullable=False,
        ),
        sa.Column(
            "default_appointment_status",
            sa.Enum("pending", "confirmed", name="default_appointment_status"),
            server_default="confirmed",
            nullable=False,
        ),
        sa.Column(
            "booking_advance_days", sa.Integer(), server_default="60", nullable=False
        ),
        sa.Column(
            "cancellation_policy_hours",
            sa.Integer(),
            server_default="24",
            nullable=False,
        ),
        sa.Column(
            "reminder_time_before_appointment_minutes",
            sa.Integer(),
            server_default="1440",
            nullable=False,
        ),
        sa.Column(
            "email_notification_enabled",
            sa.Boolean(),
            server_default=sa.text("true"),
            nullable=False,
        ),
        sa.Column("slot_interval_minutes", sa.Integer(), nullable=True),
        sa.Column("buffer_minutes", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "minimum_notice_minutes", sa.Integer(), server_default="120", nullable=False
        ),
        sa.Column(
            "max_pending_public_bookings",
            sa.Integer(),
            server_default="3",
            nullable=False,
        ),
        sa.Column("locale", sa.String(length=5), server_default="es", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "locale IN ('es', 'en')",
            name=op.f("ck_professional_settings_locale_supported"),
        ),
        sa.CheckConstraint(
            "booking_advance_days BETWEEN 1 AND 365",
            name=op.f("ck_professional_settings_booking_advance_days_range"),
        ),
        sa.CheckConstraint(
            "buffer_minutes BETWEEN 0 AND 240",
            name=op.f("ck_professional_settings_buffer_minutes_range"),
        ),
        sa.CheckConstraint(
            "cancellation_policy_hours BETWEEN 0 AND 720",
            name=op.f("ck_professional_settings_cancellation_policy_hours_range"),
        ),
        sa.CheckConstraint(
            "max_pending_public_bookings BETWEEN 1 AND 50",
            name=op.f("ck_professional_settings_max_pending_public_range"),
        ),
        sa.CheckConstraint(
            "minimum_notice_minutes BETWEEN 0 AND 43200",
            name=op.f("ck_professional_settings_minimum_notice_range"),
        ),
        sa.CheckConstraint(
            "reminder_time_before_appointment_minutes BETWEEN 0 AND 10080",
            name=op.f("ck_professional_settings_reminder_minutes_range"),
        ),
        sa.CheckConstraint(
            "slot_interval_minutes IS NULL OR slot_interval_minutes BETWEEN 5 AND 720",
            name=op.f("ck_professional_settings_slot_interval_range"),
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_professional_settings_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "professional_id", name=op.f("pk_professional_settings")
        ),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("professional_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "price",
            sa.Numeric(precision=10, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "duration_minutes BETWEEN 5 AND 720",
            name=op.f("ck_services_duration_range"),
        ),
        sa.CheckConstraint(
            "length(btrim(name)) > 0", name=op.f("ck_services_name_not_blank")
        ),
        sa.CheckConstraint("price >= 0", name=op.f("ck_services_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_services_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
        sa.UniqueConstraint(
            "professional_id", "id", name=op.f("uq_services_professional_id_id")
        ),
    )
    op.create_index(
        "ix_services_professional_id_is_active",
        "services",
        ["professional_id", "is_active"],
        unique=False,
    )
    op.create_table(
        "time_off",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("professional_id", sa.BigInteger(), nullable=False),
        sa.Column("start_datetime", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_datetime", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "start_datetime < end_datetime", name=op.f("ck_time_off_start_before_end")
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_time_off_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_off")),
    )
    op.create_index(
        "ix_time_off_professional_id_start_datetime",
        "time_off",
        ["professional_id", "start_datetime"],
        unique=False,
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("professional_id", sa.BigInteger(), nullable=False),
        sa.Column("client_id", sa.BigInteger(), nullable=False),
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("start_datetime", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_datetime", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "completed",
                "cancelled_by_professional",
                "cancelled_by_client",
                name="appointment_status",
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "created_from_public_link",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
        sa.Column("sequence", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        postgresql.ExcludeConstraint(
            (sa.column("professional_id"), "="),
            (sa.text("tstzrange(start_datetime, end_datetime, '[)')"), "&&"),
            where=sa.text("status IN ('pending', 'confirmed')"),
            using="gist",
            name="ex_appointments_no_overlap",
        ),
        sa.CheckConstraint(
            "start_datetime < end_datetime",
            name=op.f("ck_appointments_start_before_end"),
        ),
        sa.ForeignKeyConstraint(
            ["professional_id", "client_id"],
            ["clients.professional_id", "clients.id"],
            name="fk_appointments_client_same_professional",
        ),
        sa.ForeignKeyConstraint(
            ["professional_id", "service_id"],
            ["services.professional_id", "services.id"],
            name="fk_appointments_service_same_professional",
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_appointments_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    op.create_index(
        "ix_appointments_active_professional_start",
        "appointments",
        ["professional_id", "start_datetime"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'confirmed')"),
    )
    op.create_index(
        "ix_appointments_active_start",
        "appointments",
        ["start_datetime"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'confirmed')"),
    )
    op.create_index(
        "ix_appointments_client_id", "appointments", ["client_id"], unique=False
    )
    op.create_index(
        "ix_appointments_professional_id_start_datetime",
        "appointments",
        ["professional_id", "start_datetime"],
        unique=False,
    )
    op.create_index(
        "ix_appointments_service_id", "appointments", ["service_id"], unique=False
    )
    op.create_table(
        "appointment_requests",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("professional_id", sa.BigInteger(), nullable=False),
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("start_datetime", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_datetime", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "accepted", "rejected", "expired", name="request_status"
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("appointment_id", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "email = lower(btrim(email))",
            name=op.f("ck_appointment_requests_email_normalized"),
        ),
        sa.CheckConstraint(
            "start_datetime < end_datetime",
            name=op.f("ck_appointment_requests_start_before_end"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_requests_appointment_id_appointments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["professional_id", "service_id"],
            ["services.professional_id", "services.id"],
            name="fk_appointment_requests_service_same_professional",
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_appointment_requests_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_requests")),
    )
    op.create_index(
        "ix_appointment_requests_pending_start",
        "appointment_requests",
        ["start_datetime"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_appointment_requests_professional_id_status",
        "appointment_requests",
        ["professional_id", "status"],
        unique=False,
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("professional_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("appointment_id", sa.BigInteger(), nullable=True),
        sa.Column("appointment_request_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column(
            "channel", sa.String(length=20), server_default="email", nullable=False
        ),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("pending", "sending", "sent", "failed", "skipped", name="notification_status"),
            server_default="pending",
            nullable=False,
        ),
        sa.Column(
            "scheduled_for",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(status = 'sent') = (sent_at IS NOT NULL)",
            name=op.f("ck_notifications_sent_at_iff_sent"),
        ),
        sa.CheckConstraint(
            "attempts >= 0", name=op.f("ck_notifications_attempts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_notifications_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["appointment_request_id"],
            ["appointment_requests.id"],
            name=op.f("fk_notifications_appointment_request_id_appointment_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_notifications_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notifications_dedupe_key")),
    )
    op.create_index(
        "ix_notifications_appointment_id",
        "notifications",
        ["appointment_id"],
        unique=False,
    )
    op.create_index(
        "ix_notifications_professional_id_created_at",
        "notifications",
        ["professional_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_notifications_unsent",
        "notifications",
        ["scheduled_for"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'sending')"),
    )
    op.create_table(
        "public_links",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("professional_id", sa.BigInteger(), nullable=False),
        sa.Column("appointment_id", sa.BigInteger(), nullable=True),
        sa.Column("appointment_request_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "purpose",
            sa.Enum("appointment", "appointment_request", name="link_purpose"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("token_nonce", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(appointment_id IS NOT NULL) OR (appointment_request_id IS NOT NULL)",
            name=op.f("ck_public_links_points_somewhere"),
        ),
        sa.CheckConstraint(
            "octet_length(token_hash) = 32",
            name=op.f("ck_public_links_token_hash_sha256"),
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_public_links_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["appointment_request_id"],
            ["appointment_requests.id"],
            name=op.f("fk_public_links_appointment_request_id_appointment_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_public_links_professional_id_professionals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_public_links_token_hash")),
    )
    op.create_index(
        "ix_public_links_appointment_id",
        "public_links",
        ["appointment_id"],
        unique=False,
    )

    for table in _tables_with_updated_at():
        op.execute(
            f"CREATE TRIGGER {table}_set_updated_at BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
        )


def downgrade() -> None:
    op.drop_index("ix_public_links_appointment_id", table_name="public_links")
    op.drop_table("public_links")
    op.drop_index(
        "ix_notifications_unsent",
        table_name="notifications",
        postgresql_where=sa.text("status IN ('pending', 'sending')"),
    )
    op.drop_index(
        "ix_notifications_professional_id_created_at", table_name="notifications"
    )
    op.drop_index("ix_notifications_appointment_id", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(
        "ix_appointment_requests_professional_id_status",
        table_name="appointment_requests",
    )
    op.drop_index(
        "ix_appointment_requests_pending_start",
        table_name="appointment_requests",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("appointment_requests")
    op.drop_index("ix_appointments_service_id", table_name="appointments")
    op.drop_index(
        "ix_appointments_professional_id_start_datetime", table_name="appointments"
    )
    op.drop_index("ix_appointments_client_id", table_name="appointments")
    op.drop_index(
        "ix_appointments_active_start",
        table_name="appointments",
        postgresql_where=sa.text("status IN ('pending', 'confirmed')"),
    )
    op.drop_index(
        "ix_appointments_active_professional_start",
        table_name="appointments",
        postgresql_where=sa.text("status IN ('pending', 'confirmed')"),
    )
    op.drop_table("appointments")
    op.drop_index("ix_time_off_professional_id_start_datetime", table_name="time_off")
    op.drop_table("time_off")
    op.drop_index("ix_services_professional_id_is_active", table_name="services")
    op.drop_table("services")
    op.drop_table("professional_settings")
    op.drop_index(
        "ix_clients_name_trgm",
        table_name="clients",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_index(
        "ix_clients_email_trgm",
        table_name="clients",
        postgresql_using="gin",
        postgresql_ops={"email": "gin_trgm_ops"},
    )
    op.drop_table("clients")
    op.drop_index(
        "uq_availability_blocks_specific_start",
        table_name="availability_blocks",
        postgresql_where=sa.text("NOT is_recurring"),
    )
    op.drop_index(
        "uq_availability_blocks_recurring_start",
        table_name="availability_blocks",
        postgresql_where=sa.text("is_recurring"),
    )
    op.drop_table("availability_blocks")
    op.drop_index("ix_audit_logs_professional_id_created_at", table_name="audit_logs")
    op.drop_index("ix_audit_logs_actor_user_id_created_at", table_name="audit_logs")
    op.drop_table("audit_logs")
    op.drop_index("ix_refresh_tokens_user_id", table_name="refresh_tokens")
    op.drop_index("ix_refresh_tokens_family_id", table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_table("professionals")
    op.drop_index(
        "ix_password_reset_tokens_user_id", table_name="password_reset_tokens"
    )
    op.drop_table("password_reset_tokens")
    op.drop_table("users")
    for name in ENUM_TYPES:
        op.execute(f"DROP TYPE IF EXISTS {name}")
    op.execute("DROP FUNCTION IF EXISTS set_updated_at()")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
    op.execute("DROP EXTENSION IF EXISTS btree_gist")
