"""create-admin: password from the environment or typed twice, same rules, a clear refusal for duplicates."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.accounts import cli
from tests.accounts.helpers import STRONG_PASSWORD

REPO = Path(__file__).resolve().parents[2]


def run(argv: list[str], environ: dict | None = None, typed: list[str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    answers = iter(typed or [])

    def ask(prompt: str) -> str:
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    code = cli.main(argv, environ=environ or {}, ask=ask, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_create_admin_with_the_password_from_the_environment(db_url, rows, login):
    code, out, _ = run(["create-admin", "--email", " Ops@Example.com"], {cli.PASSWORD_ENV: STRONG_PASSWORD})

    assert code == 0 and "ops@example.com" in out
    [user] = rows("SELECT email, role, is_active FROM users")
    assert user == {"email": "ops@example.com", "role": "admin", "is_active": True}
    assert login("ops@example.com", STRONG_PASSWORD).get_json()["user"]["role"] == "admin"


def test_create_admin_prompts_for_the_password_twice(db_url, rows):
    code, _, _ = run(["create-admin", "--email", "ops@example.com"], typed=[STRONG_PASSWORD, STRONG_PASSWORD])

    assert code == 0 and len(rows("SELECT id FROM users")) == 1


@pytest.mark.parametrize(("typed", "message"), [
    ([STRONG_PASSWORD, STRONG_PASSWORD + "x"], "The two passwords differ."),
    (["", ""], "Use at least 10 characters."),
    (["qwertyuiop", "qwertyuiop"], "too easy to guess"),
    ([], "no password given"),
])
def test_create_admin_refuses_a_bad_or_missing_password(typed, message, db_url, rows):
    code, _, err = run(["create-admin", "--email", "ops@example.com"], typed=typed)

    assert code == 1 and message in err
    assert rows("SELECT id FROM users") == []


def test_create_admin_for_an_existing_email_exits_1_with_a_clear_error(db_url, rows):
    run(["create-admin", "--email", "ops@example.com"], {cli.PASSWORD_ENV: STRONG_PASSWORD})

    code, _, err = run(["create-admin", "--email", "OPS@example.com"], {cli.PASSWORD_ENV: STRONG_PASSWORD})

    assert code == 1
    assert err == "error: an account with email ops@example.com already exists.\n"
    assert len(rows("SELECT id FROM users")) == 1


def test_create_admin_refuses_an_invalid_email(db_url, rows):
    code, _, err = run(["create-admin", "--email", "not-an-email"], {cli.PASSWORD_ENV: STRONG_PASSWORD})

    assert code == 1 and "not a valid email" in err
    assert rows("SELECT id FROM users") == []


def test_module_runs_as_a_command(db_url, rows):
    env = {**os.environ, cli.PASSWORD_ENV: STRONG_PASSWORD, "PYTHONPATH": str(REPO)}

    command = [sys.executable, "-m", "shared.accounts.cli", "create-admin", "--email", "ops@example.com"]

    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)

    assert done.returncode == 0, done.stderr
    assert rows("SELECT role FROM users") == [{"role": "admin"}]
