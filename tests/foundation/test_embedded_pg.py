"""The embedded PostgreSQL 18 that `make run` and the schema tests use."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from shared.localdev.embedded_pg import EmbeddedPostgres, is_running, main


@pytest.fixture(scope="module")
def data():
    """One data directory (initdb once) outside pytest's tmp root: pytest keeps that root private (0700),
    and as root the server runs as its own system user, which must reach the directory."""
    base = Path(tempfile.mkdtemp(prefix="agenda-embedded-pg-"))
    yield base / "pg"
    shutil.rmtree(base, ignore_errors=True)


def test_embedded_server_is_postgresql_18_with_the_database_asked_for(data):
    server = EmbeddedPostgres(data)
    try:
        url = server.ensure_database("agenda")
        assert url.startswith("postgresql+psycopg://")
        assert server.ensure_database("agenda") == url
        engine = create_engine(url)
        with engine.connect() as conn:
            database = conn.execute(text("SELECT current_database()")).scalar()
            version = int(conn.execute(text("SHOW server_version_num")).scalar())
            available = conn.execute(text("SELECT name FROM pg_available_extensions")).scalars()
            extensions = {"btree_gist", "pg_trgm"} & set(available)
        engine.dispose()
        assert database == "agenda"
        assert version // 10000 == 18
        assert extensions == {"btree_gist", "pg_trgm"}
    finally:
        server.release()
    assert not is_running(data)


def test_command_runs_with_the_url_and_the_server_stops_after_it(data, capfd):
    code = main(["--data", str(data), "--database", "postgres", "--env", "TEST_DATABASE_URL", "--",
                 sys.executable, "-c", "import os, sys; print(os.environ['TEST_DATABASE_URL']); sys.exit(3)"])
    assert code == 3
    url = capfd.readouterr().out.strip()
    assert url.startswith("postgresql+psycopg://postgres@/postgres?host=")
    assert not is_running(data)


def test_start_leaves_the_server_running_until_stop(data, capfd):
    assert main(["start", "--data", str(data)]) == 0
    try:
        assert is_running(data)
        assert "/agenda?host=" in capfd.readouterr().out
    finally:
        assert main(["stop", "--data", str(data)]) == 0
    assert not is_running(data)
