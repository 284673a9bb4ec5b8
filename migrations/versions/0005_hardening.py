"""Hardening: access tokens ended per user, verified professional emails, slugs kept by their owner.

- users.sessions_valid_after: access tokens issued before it are refused (logout, password reset,
  refresh-token reuse, deactivation).
- users.email_verified_at: when the user proved the email is theirs. Existing accounts start unverified:
  none ever proved it, so their pages take bookings and their clients get emails once they do.
- public_slugs: every slug a professional has had, the current one included, each owned by one
  professional for good; old booking links keep reaching their professional and nobody else can take them.
  A trigger on professionals records each new slug there, and refuses (unique_violation on
  pk_public_slugs) a slug that another professional has or had.

Revision ID: 0005_hardening
Revises: 0004_calendars
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_hardening"
down_revision: str | None = "0004_calendars"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


KEEP_PUBLIC_SLUG = """
CREATE FUNCTION keep_public_slug() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public_slugs (slug, professional_id) VALUES (NEW.public_slug, NEW.id)
    ON CONFLICT (slug) DO NOTHING;
    IF NOT EXISTS (SELECT 1 FROM public_slugs WHERE slug = NEW.public_slug AND professional_id = NEW.id) THEN
        RAISE unique_violation USING CONSTRAINT = 'pk_public_slugs',
            MESSAGE = format('public slug %s belongs to another professional', NEW.public_slug);
    END IF;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.add_column("users", sa.Column("sessions_valid_after", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "public_slugs",
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("professional_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f("ck_public_slugs_slug_format")),
        sa.ForeignKeyConstraint(["professional_id"], ["professionals.id"], ondelete="CASCADE",
                                name=op.f("fk_public_slugs_professional_id_professionals")),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_public_slugs")),
    )
    op.create_index(op.f("ix_public_slugs_professional_id"), "public_slugs", ["professional_id"])
    op.execute("INSERT INTO public_slugs (slug, professional_id, created_at) "
               "SELECT public_slug, id, created_at FROM professionals")
    op.execute(KEEP_PUBLIC_SLUG)
    op.execute("CREATE TRIGGER professionals_keep_public_slug AFTER INSERT OR UPDATE OF public_slug "
               "ON professionals FOR EACH ROW EXECUTE FUNCTION keep_public_slug()")


def downgrade() -> None:
    op.execute("DROP TRIGGER professionals_keep_public_slug ON professionals")
    op.execute("DROP FUNCTION keep_public_slug()")
    op.drop_index(op.f("ix_public_slugs_professional_id"), table_name="public_slugs")
    op.drop_table("public_slugs")
    op.drop_column("users", "email_verified_at")
    op.drop_column("users", "sessions_valid_after")
