"""Alembic environment: runs migrations against DATABASE_URL (or a connection handed in by tests)."""

from alembic import context
from sqlalchemy import create_engine, pool

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


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, include_object=include_object,
                      compare_type=True, compare_server_default=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
