"""Downgrades in production need CONFIRM_DOWNGRADE naming the database; without it nothing is dropped."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from tests.conftest import REPO, create_database, drop_database, migrate
from tests.factories import make_professional

DATABASE = "agenda_downgrade_guard"


@pytest.fixture
def database():
    url = create_database(DATABASE)
    migrate(url)
    engine = create_engine(url)
    with Session(engine) as session:
        make_professional(session, email="kept@example.com")
        session.commit()
    yield url, engine
    engine.dispose()
    drop_database(DATABASE)


def alembic(url: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items() if name != "CONFIRM_DOWNGRADE"}
    environment.update(DATABASE_URL=url, AGENDA_ENV="production", **env)
    return subprocess.run([sys.executable, "-m", "alembic", *args], cwd=REPO, env=environment,
                          capture_output=True, text=True)


def professionals(engine) -> int | None:
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT to_regclass('public.professionals')")).scalar()
        return conn.execute(text("SELECT count(*) FROM professionals")).scalar() if exists else None


@pytest.mark.parametrize("confirmation", [None, "agenda"])  # absent, or naming another database
def test_a_production_downgrade_without_the_confirmation_changes_nothing(database, confirmation):
    url, engine = database
    extra = {} if confirmation is None else {"CONFIRM_DOWNGRADE": confirmation}

    result = alembic(url, "downgrade", "base", **extra)

    assert result.returncode != 0
    assert f"CONFIRM_DOWNGRADE={DATABASE}" in result.stdout + result.stderr  # alembic's FAILED: line
    assert professionals(engine) == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_a_confirmed_production_downgrade_runs_and_upgrades_still_need_no_confirmation(database):
    url, engine = database

    down = alembic(url, "downgrade", "base", CONFIRM_DOWNGRADE=DATABASE)

    assert down.returncode == 0, down.stderr
    assert professionals(engine) is None
    up = alembic(url, "upgrade", "head")
    assert up.returncode == 0, up.stderr
    assert professionals(engine) == 0
