"""Professionals list the sites that may show their booking page in a frame.

`professional_settings.embed_origins` holds origins (`https://host[:port]`) that the booking page's
Content-Security-Policy names in `frame-ancestors`; empty (the default, and for everyone today) keeps the
page unframeable. Downgrade drops the list.

Revision ID: 0006_embed_origins
Revises: 0005_hardening
Create Date: 2026-12-06 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_embed_origins"
down_revision: str | None = "0005_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("professional_settings", sa.Column(
        "embed_origins", postgresql.ARRAY(sa.String(length=200)), nullable=False,
        server_default=sa.text("'{}'::varchar[]")))


def downgrade() -> None:
    op.drop_column("professional_settings", "embed_origins")
