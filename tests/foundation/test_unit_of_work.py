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
