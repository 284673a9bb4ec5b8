"""Account administration from a shell: `python -m shared.accounts.cli create-admin --email X`."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Mapping
from typing import TextIO

from marshmallow import ValidationError

from shared.accounts.passwords import password_problems
from shared.fields import Email

PASSWORD_ENV = "AGENDA_ADMIN_PASSWORD"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shared.accounts.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("create-admin", help="create an operator (admin) account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Administrator")
    return parser


def _password(environ: Mapping[str, str], ask: Callable[[str], str]) -> str:
    """From AGENDA_ADMIN_PASSWORD, else typed twice; there is never a default."""
    if environ.get(PASSWORD_ENV):
        return environ[PASSWORD_ENV]
    first = ask("Password for the new admin: ")
    if ask("Repeat the password: ") != first:
        raise ValueError("The two passwords differ.")
    return first


def create_admin(email: str, name: str, password: str) -> int:
    """Create the admin in the configured database; its id."""
    from shared.accounts import service
    from shared.db import unit_of_work

    with unit_of_work() as uow:
        return service.create_admin(uow, email=email, password=password, name=name).id


def main(argv: list[str] | None = None, *, environ: Mapping[str, str] | None = None,
         ask: Callable[[str], str] = getpass.getpass, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run a command; the process exit code (0 done, 1 refused)."""
    from shared.errors import Conflict

    out, err = out or sys.stdout, err or sys.stderr
    args = _parser().parse_args(argv)
    try:
        email = Email().deserialize(args.email)
    except ValidationError:
        print(f"error: {args.email!r} is not a valid email address.", file=err)
        return 1
    try:
        password = _password(os.environ if environ is None else environ, ask)
    except (ValueError, EOFError) as error:
        print(f"error: {str(error) or 'no password given.'}", file=err)
        return 1
    problems = password_problems(password, email=email, name=args.name)
    if problems:
        print(f"error: password rejected: {' '.join(problems)}", file=err)
        return 1
    try:
        user_id = create_admin(email, args.name, password)
    except Conflict:
        print(f"error: an account with email {email} already exists.", file=err)
        return 1
    print(f"Created admin {email} (user id {user_id}).", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
