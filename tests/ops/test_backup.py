"""openfaas/backup: backup.sh dumps a real database, restore.sh brings it back into a fresh one, and
retention deletes old dumps but always keeps the newest few."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from shared.models import Appointment, Client, Professional, Service
from tests.conftest import ADMIN_URL, REPO, RUN_ID, create_database, migrate
from tests.factories import make_appointment, make_client, make_professional, make_service

BACKUP = REPO / "openfaas" / "backup" / "backup.sh"
RESTORE = REPO / "openfaas" / "backup" / "restore.sh"
# Per run, like the suite's own database: runs side by side must not drop each other's.
SOURCE, TARGET = f"agenda_backup_source_{RUN_ID}", f"agenda_backup_target_{RUN_ID}"
DUMP_NAME = re.compile(r"agenda-\d{8}T\d{6}Z\.dump")


def drop_database(name: str) -> None:
    engine = create_engine(ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def run(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(script), *args], env={**os.environ, **env}, capture_output=True, text=True)


@pytest.fixture
def databases():
    """A migrated source database with a practice's data, and an empty target; both dropped afterwards."""
    source_url = create_database(SOURCE)
    migrate(source_url)
    target_url = create_database(TARGET)
    engine = create_engine(source_url)
    with Session(engine) as session:
        pro = make_professional(session, email="backup@example.com", public_slug="backup-practice")
        service = make_service(session, pro, name="Terapia de pareja", price="70.00")
        client = make_client(session, pro, name="Núria Ferré", email="nuria@example.com")
        make_appointment(session, pro, service=service, client=client, notes="Primera sesión",
                         start=dt.datetime(2027, 3, 28, 8, 0, tzinfo=dt.UTC))
        session.commit()
    engine.dispose()
    yield source_url, target_url
    drop_database(SOURCE)
    drop_database(TARGET)


def snapshot(url: str) -> dict:
    engine = create_engine(url)
    with Session(engine) as session:
        appointment = session.scalars(select(Appointment)).one()
        result = {
            "counts": [session.scalar(select(func.count()).select_from(model))
                       for model in (Professional, Service, Client, Appointment)],
            "slug": session.scalars(select(Professional.public_slug)).one(),
            "client": session.scalars(select(Client.name)).one(),
            "appointment": (appointment.start_datetime, appointment.status.value, appointment.notes),
            "revision": session.scalar(text("SELECT version_num FROM alembic_version")),
        }
    engine.dispose()
    return result


def test_a_backup_restores_into_a_fresh_database_with_every_row(databases, tmp_path):
    source_url, target_url = databases
    backups = tmp_path / "backups"

    backup = run(BACKUP, DATABASE_URL=source_url, BACKUP_DIR=str(backups))

    assert backup.returncode == 0, backup.stderr
    (dump,) = backups.iterdir()
    assert DUMP_NAME.fullmatch(dump.name)
    assert dump.stat().st_mode & 0o077 == 0  # dumps hold personal data: owner only

    restore = run(RESTORE, str(dump), target_url)

    assert restore.returncode == 0, restore.stderr
    restored = snapshot(target_url)
    assert restored == snapshot(source_url)
    assert restored["counts"] == [1, 1, 1, 1]
    assert restored["client"] == "Núria Ferré"
    assert restored["appointment"] == (dt.datetime(2027, 3, 28, 8, 0, tzinfo=dt.UTC), "confirmed",
                                       "Primera sesión")
    # The database's own rules came back too: a second overlapping appointment is refused.
    engine = create_engine(target_url)
    with engine.connect() as conn:
        with pytest.raises(Exception, match="ex_appointments_no_overlap"):
            conn.execute(text("INSERT INTO appointments (professional_id, client_id, service_id, "
                              "start_datetime, end_datetime, status) SELECT professional_id, client_id, "
                              "service_id, start_datetime, end_datetime, status FROM appointments"))
    engine.dispose()


def test_restore_refuses_a_database_that_has_tables(databases, tmp_path):
    source_url, _ = databases
    run(BACKUP, DATABASE_URL=source_url, BACKUP_DIR=str(tmp_path))
    (dump,) = tmp_path.glob("agenda-*.dump")

    restore = run(RESTORE, str(dump), source_url)

    assert restore.returncode == 3
    assert "already has" in restore.stderr
    assert snapshot(source_url)["counts"] == [1, 1, 1, 1]


def test_restore_refuses_a_file_that_is_not_a_dump(databases, tmp_path):
    _, target_url = databases
    bogus = tmp_path / "agenda-20270101T000000Z.dump"
    bogus.write_text("not a dump")

    restore = run(RESTORE, str(bogus), target_url)

    assert restore.returncode == 2
    assert "not a readable" in restore.stderr


def test_a_failed_dump_leaves_no_file_behind(tmp_path):
    backup = run(BACKUP, DATABASE_URL="postgresql://postgres@127.0.0.1:1/agenda", BACKUP_DIR=str(tmp_path))

    assert backup.returncode != 0
    assert list(tmp_path.iterdir()) == []


def age(path: Path, days: int) -> None:
    subprocess.run(["touch", "-d", f"{days} days ago", str(path)], check=True)


def test_retention_deletes_old_dumps_but_keeps_the_newest_few(databases, tmp_path):
    source_url, _ = databases
    ages = {"agenda-20270101T031500Z.dump": 30, "agenda-20270102T031500Z.dump": 29,
            "agenda-20270103T031500Z.dump": 20, "agenda-20270120T031500Z.dump": 2}
    for name, days in ages.items():
        (tmp_path / name).write_bytes(b"old dump")
        age(tmp_path / name, days)
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("not ours")
    age(unrelated, 90)

    backup = run(BACKUP, DATABASE_URL=source_url, BACKUP_DIR=str(tmp_path), RETENTION_DAYS="14",
                 KEEP_MIN="3")

    assert backup.returncode == 0, backup.stderr
    kept = sorted(path.name for path in tmp_path.iterdir())
    new = [name for name in kept if name not in ages and name != "notes.txt"]
    assert len(new) == 1 and DUMP_NAME.fullmatch(new[0])
    # Newest three by age: today's, the 2-day-old and (although past 14 days) the 20-day-old one.
    assert kept == sorted([new[0], "agenda-20270120T031500Z.dump", "agenda-20270103T031500Z.dump",
                           "notes.txt"])
    assert "deleted" in backup.stdout


def test_retention_never_deletes_below_the_minimum_even_when_everything_is_old(databases, tmp_path):
    source_url, _ = databases
    for n in range(5):
        path = tmp_path / f"agenda-2026010{n}T031500Z.dump"
        path.write_bytes(b"old dump")
        age(path, 100 + n)

    backup = run(BACKUP, DATABASE_URL=source_url, BACKUP_DIR=str(tmp_path), RETENTION_DAYS="7",
                 KEEP_MIN="4")

    assert backup.returncode == 0, backup.stderr
    names = sorted(path.name for path in tmp_path.iterdir())
    assert len(names) == 4
    assert names[:3] == ["agenda-20260100T031500Z.dump", "agenda-20260101T031500Z.dump",
                         "agenda-20260102T031500Z.dump"]


@pytest.mark.parametrize(("setting", "value"), [("RETENTION_DAYS", "two"), ("KEEP_MIN", "0")])
def test_bad_retention_settings_are_refused_before_anything_runs(tmp_path, setting, value):
    backup = run(BACKUP, DATABASE_URL="postgresql://postgres@127.0.0.1:1/agenda", BACKUP_DIR=str(tmp_path),
                 **{setting: value})

    assert backup.returncode == 2
    assert list(tmp_path.iterdir()) == []
