"""Test harness: a real PostgreSQL database migrated once per run, a real Redis, clean state per test."""

from __future__ import annotations

import fcntl
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# One database (and Redis database) per test run, so that runs side by side never share state.
RUN_ID = os.getpid()
TEST_DATABASE = f"agenda_test_{RUN_ID}"
# Redis databases a test run may take: all but 0 (make run's) and 14 (make bench's).
TEST_REDIS_DATABASES = [number for number in range(1, 16) if number != 14]
_redis_claims: list = []


def claim_redis_database(lock_directory: Path | None = None) -> int:
    """A Redis database that no other test run on this machine holds: the first whose lock file this
    process can lock. The lock lasts as long as the process (or until the file is closed)."""
    directory = lock_directory or Path(tempfile.gettempdir())
    for number in TEST_REDIS_DATABASES:
        handle = open(directory / f"agenda-test-redis-{number}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _redis_claims.append(handle)
        return number
    raise RuntimeError(f"every test Redis database ({TEST_REDIS_DATABASES}) is in use by another run")


TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL") or f"redis://127.0.0.1:6379/{claim_redis_database()}"


def database_url(name: str) -> str:
    """The admin URL with its database replaced by `name`, for the psycopg 3 driver."""
    parts = urlsplit(ADMIN_URL.replace("postgresql+psycopg://", "postgresql://", 1))
    return urlunsplit(("postgresql+psycopg", parts.netloc, f"/{name}", parts.query, ""))


def _admin_execute(*statements: str) -> None:
    engine = create_engine(database_url(urlsplit(ADMIN_URL).path.lstrip("/") or "postgres"),
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def create_database(name: str) -> str:
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return database_url(name)


def drop_database(name: str) -> None:
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url: str, revision: str = "head", direction: str = "upgrade") -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(REPO / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    getattr(command, direction)(config, revision)


TEST_ENV = {
    "AGENDA_ENV": "test",
    "JWT_SECRET": secrets.token_urlsafe(48),
    "LINK_SECRET": secrets.token_urlsafe(48),
    "ENCRYPTION_KEY": secrets.token_urlsafe(32),
    "REDIS_URL": TEST_REDIS_URL,
    "RATE_LIMIT_STORAGE_URL": TEST_REDIS_URL,
    "HUEY_BACKEND": "redis",
    "EMAIL_BACKEND": "ses",
    "EMAIL_SENDER": "Agenda <no-reply@agenda.example>",
    "SES_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "PUBLIC_BASE_URL": "https://app.agenda.example",
    "CORS_ORIGINS": "https://app.agenda.example",
    "METRICS_TOKEN": "metrics-test-token",
    # Generous on a shared, busy machine: a slow answer must not look like an outage. The fault tests
    # (tests/faults) set short values of their own and break servers of their own.
    "REDIS_TIMEOUT_MS": "5000",
    "DATABASE_STATEMENT_TIMEOUT_MS": "30000",
    "DATABASE_LOCK_TIMEOUT_MS": "30000",
    "SECRETS_DIR": tempfile.mkdtemp(prefix="agenda-secrets-"),
}


def pytest_configure(config):
    # Every setting the code reads comes from here, so a developer's shell cannot leak into the suite.
    os.environ.update(TEST_ENV)
    os.environ["DATABASE_URL"] = database_url(TEST_DATABASE)
    os.environ.setdefault("EMAIL_DIR", tempfile.mkdtemp(prefix="agenda-outbox-"))
    os.environ.setdefault("HUEY_SQLITE_PATH", os.path.join(tempfile.mkdtemp(), "huey.sqlite3"))


@pytest.fixture(scope="session")
def db_url() -> str:
    """The migrated test database's URL."""
    url = create_database(TEST_DATABASE)
    migrate(url)
    yield url
    from shared.db import reset_engine

    reset_engine()
    drop_database(TEST_DATABASE)


@pytest.fixture(scope="session")
def db_engine(db_url):
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def table_names(db_engine) -> list[str]:
    """Every table of the schema, children before parents."""
    from shared.models import Base

    return [table.name for table in reversed(Base.metadata.sorted_tables)]


@pytest.fixture(autouse=True)
def _fresh_state(request):
    """Every test starts with fresh settings, an empty database and an empty Redis test database."""
    from shared.config import reset_settings
    from shared.db import reset_engine

    reset_settings()
    uses_database = "db_url" in request.fixturenames
    if uses_database:
        engine = request.getfixturevalue("db_engine")
        tables = request.getfixturevalue("table_names")
    yield
    if uses_database:
        reset_engine()
        # DELETE, children first: on small tables it is ten times faster than TRUNCATE.
        with engine.begin() as conn:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    reset_settings()


@pytest.fixture
def uow(db_url):
    """A unit of work on the test database; commit to make rows visible to the app under test."""
    from shared.db import unit_of_work

    with unit_of_work() as work:
        yield work


@pytest.fixture
def session(uow):
    return uow.session


@pytest.fixture
def gateway(db_url):
    """A client of the whole local gateway: every function, routed as in production."""
    from werkzeug.test import Client

    from shared.localdev.gateway import create_gateway

    return Client(create_gateway())


@pytest.fixture
def professional(uow):
    """A committed professional in Europe/Madrid with default settings."""
    from tests.factories import make_professional

    pro = make_professional(uow.session, email="pro@example.com")
    uow.commit()
    return pro


@pytest.fixture
def other_professional(uow):
    """A second tenant, to prove isolation."""
    from tests.factories import make_professional

    pro = make_professional(uow.session, email="other@example.com")
    uow.commit()
    return pro


@pytest.fixture
def auth_headers():
    """Authorization headers for a professional (or a user with an explicit professional id)."""
    from tests.factories import bearer, headers_for

    def build(subject, professional_id=None):
        if hasattr(subject, "public_slug"):
            return headers_for(subject)
        return bearer(subject, professional_id)

    return build
