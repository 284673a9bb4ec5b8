"""The blueprint's names and indexes: weekday, requested_datetime, client_*, type, user_id, password_resets,
professionals.address, professional_settings.id, notification channels, the recommended indexes and the
ON DELETE rules of appointments. Every rename keeps its rows; downgrade restores the old names.

Revision ID: 0003_blueprint_names
Revises: 0002
Create Date: 2026-12-05 23:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_blueprint_names"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('pending', 'confirmed')"

# (table, old column, new column)
COLUMN_RENAMES = (
    ("availability_blocks", "day_of_week", "weekday"),
    ("appointment_requests", "start_datetime", "requested_datetime"),
    ("appointment_requests", "name", "client_name"),
    ("appointment_requests", "email", "client_email"),
    ("appointment_requests", "phone", "client_phone"),
    ("notifications", "kind", "type"),
    ("audit_logs", "actor_user_id", "user_id"),
    ("public_links", "purpose", "type"),
)

# (table, old constraint, new constraint), after the table renames
CONSTRAINT_RENAMES = (
    ("availability_blocks", "ck_availability_blocks_day_of_week_range",
     "ck_availability_blocks_weekday_range"),
    ("appointment_requests", "ck_appointment_requests_email_normalized",
     "ck_appointment_requests_client_email_normalized"),
    ("appointment_requests", "ck_appointment_requests_start_before_end",
     "ck_appointment_requests_requested_before_end"),
    ("audit_logs", "fk_audit_logs_actor_user_id_users", "fk_audit_logs_user_id_users"),
    ("password_resets", "pk_password_reset_tokens", "pk_password_resets"),
    ("password_resets", "fk_password_reset_tokens_user_id_users", "fk_password_resets_user_id_users"),
    ("password_resets", "uq_password_reset_tokens_token_hash", "uq_password_resets_token_hash"),
    ("password_resets", "ck_password_reset_tokens_token_hash_sha256", "ck_password_resets_token_hash_sha256"),
)

INDEX_RENAMES = (
    ("ix_appointment_requests_pending_start", "ix_appointment_requests_pending_requested_datetime"),
)

# Indexes the blueprint recommends (name, table, definition), and the ones of 0001 they replace.
NEW_INDEXES = (
    ("ix_users_role_is_active", "users", "(role, is_active)"),
    ("ix_professionals_business_name", "professionals", "(business_name)"),
    ("ix_clients_professional_id_name", "clients", "(professional_id, name)"),
    ("ix_clients_professional_id_phone", "clients", "(professional_id, phone)"),
    ("ix_services_professional_id_name", "services", "(professional_id, name)"),
    ("ix_availability_blocks_professional_id", "availability_blocks", "(professional_id)"),
    ("uq_availability_blocks_recurring", "availability_blocks",
     "(professional_id, weekday, start_time, end_time) WHERE is_recurring"),
    ("uq_availability_blocks_specific_date", "availability_blocks",
     "(professional_id, specific_date, start_time, end_time) WHERE NOT is_recurring"),
    ("ix_appointments_professional_id_status_start_datetime", "appointments",
     "(professional_id, status, start_datetime DESC)"),
    ("ix_appointments_client_id_start_datetime", "appointments", "(client_id, start_datetime)"),
    ("ix_appointments_service_id_start_datetime", "appointments", "(service_id, start_datetime)"),
    ("ix_appointment_requests_professional_id_status_requested", "appointment_requests",
     "(professional_id, status, requested_datetime)"),
    ("ix_appointment_requests_professional_id_client_email", "appointment_requests",
     "(professional_id, client_email)"),
    ("ix_notifications_professional_id_sent_at", "notifications", "(professional_id, sent_at)"),
    ("ix_notifications_status_sent_at", "notifications", "(status, sent_at DESC)"),
    ("ix_audit_logs_entity_type_entity_id", "audit_logs", "(entity_type, entity_id)"),
    ("ix_audit_logs_user_id_created_at", "audit_logs", "(user_id, created_at DESC)"),
    ("ix_password_resets_user_id_expires_at", "password_resets", "(user_id, expires_at)"),
    # One live link per appointment; a replaced link stays, revoked.
    ("uq_public_links_live_appointment_id", "public_links", "(appointment_id) WHERE revoked_at IS NULL"),
)

OLD_INDEXES = (
    ("uq_availability_blocks_recurring_start", "availability_blocks",
     "(professional_id, day_of_week, start_time) WHERE is_recurring"),
    ("uq_availability_blocks_specific_start", "availability_blocks",
     "(professional_id, specific_date, start_time) WHERE NOT is_recurring"),
    ("ix_appointments_client_id", "appointments", "(client_id)"),
    ("ix_appointments_service_id", "appointments", "(service_id)"),
    ("ix_appointment_requests_professional_id_status", "appointment_requests", "(professional_id, status)"),
    ("ix_audit_logs_actor_user_id_created_at", "audit_logs", "(actor_user_id, created_at)"),
    ("ix_password_reset_tokens_user_id", "password_reset_tokens", "(user_id)"),
    ("ix_public_links_appointment_id", "public_links", "(appointment_id)"),
)

# (table, column, blueprint type, 0001 type)
TEXT_COLUMNS = (
    ("notifications", "type", "text", "varchar(60)"),
    ("notifications", "recipient", "text", "varchar(254)"),
    ("audit_logs", "action", "text", "varchar(80)"),
    ("audit_logs", "entity_type", "text", "varchar(60)"),
)

# The appointment foreign keys: blueprint ON DELETE rules (upgrade) and those of 0001 (downgrade).
APPOINTMENT_FKS = {
    "fk_appointments_professional_id_professionals":
        ("FOREIGN KEY (professional_id) REFERENCES professionals (id) ON DELETE RESTRICT",
         "FOREIGN KEY (professional_id) REFERENCES professionals (id) ON DELETE CASCADE"),
    "fk_appointments_client_same_professional":
        ("FOREIGN KEY (professional_id, client_id) REFERENCES clients (professional_id, id)"
         " ON DELETE SET NULL (client_id)",
         "FOREIGN KEY (professional_id, client_id) REFERENCES clients (professional_id, id)"),
    "fk_appointments_service_same_professional":
        ("FOREIGN KEY (professional_id, service_id) REFERENCES services (professional_id, id)"
         " ON DELETE RESTRICT",
         "FOREIGN KEY (professional_id, service_id) REFERENCES services (professional_id, id)"),
}


def _create_indexes(indexes) -> None:
    for name, table, definition in indexes:
        unique = "UNIQUE " if name.startswith("uq_") else ""
        columns, _, where = definition.partition(" WHERE ")
        op.execute(f"CREATE {unique}INDEX {name} ON {table} {columns}" + (f" WHERE {where}" if where else ""))


def _drop_indexes(indexes) -> None:
    for name, _table, _definition in indexes:
        op.execute(f"DROP INDEX {name}")


def _replace_appointment_fks(which: int) -> None:
    for name, definitions in APPOINTMENT_FKS.items():
        op.execute(f"ALTER TABLE appointments DROP CONSTRAINT {name}, "
                   f"ADD CONSTRAINT {name} {definitions[which]}")


def upgrade() -> None:
    _drop_indexes(OLD_INDEXES)
    op.execute("ALTER TABLE password_reset_tokens RENAME TO password_resets")
    op.execute("ALTER SEQUENCE password_reset_tokens_id_seq RENAME TO password_resets_id_seq")
    for table, old, new in COLUMN_RENAMES:
        op.execute(f'ALTER TABLE {table} RENAME COLUMN {old} TO "{new}"')
    for table, old, new in CONSTRAINT_RENAMES:
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {old} TO {new}")
    for old, new in INDEX_RENAMES:
        op.execute(f"ALTER INDEX {old} RENAME TO {new}")
    op.execute("ALTER TYPE link_purpose RENAME TO link_type")
    for table, column, blueprint_type, _old_type in TEXT_COLUMNS:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE {blueprint_type}')

    op.execute("ALTER TABLE professionals ADD COLUMN address text")

    # professional_settings: its own id as the key, professional_id UNIQUE.
    op.execute("ALTER TABLE professional_settings DROP CONSTRAINT pk_professional_settings")
    op.execute("ALTER TABLE professional_settings ADD COLUMN id bigserial NOT NULL")
    op.execute("ALTER TABLE professional_settings ADD CONSTRAINT pk_professional_settings PRIMARY KEY (id), "
               "ADD CONSTRAINT uq_professional_settings_professional_id UNIQUE (professional_id), "
               "ALTER COLUMN professional_id SET NOT NULL")

    op.execute("CREATE TYPE notification_channel AS ENUM ('email', 'sms', 'whatsapp')")
    op.execute("ALTER TABLE notifications ALTER COLUMN channel DROP DEFAULT, "
               "ALTER COLUMN channel TYPE notification_channel USING channel::notification_channel, "
               "ALTER COLUMN channel SET DEFAULT 'email'")

    op.execute("ALTER TABLE appointments ALTER COLUMN client_id DROP NOT NULL")
    _replace_appointment_fks(0)
    _create_indexes(NEW_INDEXES)


def downgrade() -> None:
    _drop_indexes(NEW_INDEXES)
    _replace_appointment_fks(1)
    # 0001 requires a client on every appointment: one whose client was deleted cannot go back.
    op.execute("ALTER TABLE appointments ALTER COLUMN client_id SET NOT NULL")

    op.execute("ALTER TABLE notifications ALTER COLUMN channel DROP DEFAULT, "
               "ALTER COLUMN channel TYPE varchar(20) USING channel::text, "
               "ALTER COLUMN channel SET DEFAULT 'email'")
    op.execute("DROP TYPE notification_channel")

    op.execute("ALTER TABLE professional_settings DROP CONSTRAINT pk_professional_settings, "
               "DROP CONSTRAINT uq_professional_settings_professional_id")
    op.execute("ALTER TABLE professional_settings DROP COLUMN id")
    op.execute("ALTER TABLE professional_settings ADD CONSTRAINT pk_professional_settings "
               "PRIMARY KEY (professional_id)")

    op.execute("ALTER TABLE professionals DROP COLUMN address")

    for table, column, _blueprint_type, old_type in TEXT_COLUMNS:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE {old_type}')
    op.execute("ALTER TYPE link_type RENAME TO link_purpose")
    for old, new in INDEX_RENAMES:
        op.execute(f"ALTER INDEX {new} RENAME TO {old}")
    for table, old, new in CONSTRAINT_RENAMES:
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {new} TO {old}")
    for table, old, new in COLUMN_RENAMES:
        op.execute(f'ALTER TABLE {table} RENAME COLUMN "{new}" TO {old}')
    op.execute("ALTER SEQUENCE password_resets_id_seq RENAME TO password_reset_tokens_id_seq")
    op.execute("ALTER TABLE password_resets RENAME TO password_reset_tokens")
    _create_indexes(OLD_INDEXES)
