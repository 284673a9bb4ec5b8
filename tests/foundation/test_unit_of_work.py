"""The unit of work owns commit and rollback, and runs after-commit hooks only for what was committed."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from shared.db import unit_of_work


@pytest.fixture
def calls():
    return []


def test_each_hook_runs_once_after_commit_with_every_item_in_order(db_url, calls):
    with unit_of_work() as uow:
        seen_by_others: list[int] = []

        def hook(items):
            # Runs after the commit: another connection already sees the row.
            with unit_of_work() as other:
                seen_by_others.append(other.session.scalar(text("SELECT count(*) FROM audit_logs")))
            calls.append(("hook", items))

        def other_hook(items):
            calls.append(("other", items))

        uow.session.execute(text("INSERT INTO audit_logs (action) VALUES ('test.hook')"))
        uow.after_commit(hook, 1, 2)
        uow.after_commit(other_hook, "a")
        uow.after_commit(hook, 3)
        assert calls == []
        uow.commit()

    assert calls == [("hook", [1, 2, 3]), ("other", ["a"])]
    assert seen_by_others == [1]


def test_a_rollback_forgets_the_hooks_and_a_later_commit_runs_only_new_ones(db_url, calls):
    with unit_of_work() as uow:
        uow.after_commit(calls.append, "rolled back")
        uow.rollback()
        uow.after_commit(calls.append, "committed")
        uow.commit()
        uow.commit()  # nothing new: nothing runs again

    assert calls == [["committed"]]


def test_leaving_without_commit_runs_no_hook(db_url, calls):
    with pytest.raises(RuntimeError):
        with unit_of_work() as uow:
            uow.after_commit(calls.append, "never")
            raise RuntimeError("the command failed")

    with unit_of_work() as uow:
        uow.commit()

    assert calls == []


def test_a_failed_commit_runs_no_hook(db_url, calls):
    with unit_of_work() as uow:
        uow.session.execute(text("CREATE TEMP TABLE t (x int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED)"))
        uow.session.execute(text("INSERT INTO t VALUES (1), (1)"))
        uow.after_commit(calls.append, "never")
        with pytest.raises(IntegrityError):
            uow.commit()

    assert calls == []


def test_connections_run_in_utc_whatever_the_servers_default(db_url, db_engine):
    # A role whose default time zone is far from UTC stands for a server configured in local time.
    import datetime as dt
    import uuid

    from sqlalchemy.engine import make_url

    from shared.db import make_engine

    role = f"agenda_zone_probe_{uuid.uuid4().hex[:12]}"  # roles are the cluster's: one per run
    with db_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
        admin.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.execute(text(f"CREATE ROLE {role} LOGIN"))
        admin.execute(text(f"ALTER ROLE {role} SET timezone = 'Pacific/Chatham'"))
    engine = make_engine(make_url(db_url).set(username=role).render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            zone, moment = conn.execute(text("SELECT current_setting('TimeZone'), "
                                             "timestamptz '2027-03-28 01:30:00+00'")).one()
        assert zone == "UTC"
        assert moment.tzinfo is dt.UTC and moment == dt.datetime(2027, 3, 28, 1, 30, tzinfo=dt.UTC)
        # Without the engine's setting the role's zone applies, as the server would give it.
        plain = make_engine(make_url(db_url).set(username=role).render_as_string(hide_password=False),
                            connect_args={"options": ""})
        with plain.connect() as conn:
            assert conn.execute(text("SELECT current_setting('TimeZone')")).scalar() == "Pacific/Chatham"
        plain.dispose()
    finally:
        engine.dispose()
        with db_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
            admin.execute(text(f"DROP ROLE {role}"))
