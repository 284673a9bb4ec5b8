"""Alembic environment: runs migrations against DATABASE_URL (or a connection handed in by tests)."""

import os

from alembic import context
from alembic.util import CommandError
from sqlalchemy import create_engine, pool, text

from shared.models import Base

target_metadata = Base.metadata


def _url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    if url:
        return url
    import os

    from shared.config import _database_url

    return _database_url(os.environ.get("DATABASE_URL"))


def include_object(obj, name, type_, reflected, compare_to):
    # Extension-owned objects are not ours to compare.
    return not (type_ == "table" and reflected and compare_to is None and name.startswith("pg_"))


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


def _guard_downgrades(connection):
    """In production, a downgrade (which may drop tables and their data) runs only when CONFIRM_DOWNGRADE
    names the database it runs on. The check runs as the first step is applied, inside the migration's
    transaction: PostgreSQL rolls that step back with it."""
    environment = os.environ.get("AGENDA_ENV") or "production"

    def check(ctx, step, heads, run_args) -> None:
        if step.is_upgrade or environment != "production":
            return
        database = connection.execute(text("SELECT current_database()")).scalar_one()
        if os.environ.get("CONFIRM_DOWNGRADE") != database:
            raise CommandError(
                f"refusing to downgrade the production database {database!r}: a downgrade can drop tables "
                f"and their rows. Take a backup first, then run again with CONFIRM_DOWNGRADE={database}.")

    return check


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, include_object=include_object,
                      compare_type=True, compare_server_default=True,
                      on_version_apply=_guard_downgrades(connection))
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
