"""The account pages e-mailed links open: choose a new password (once, before the link expires), and confirm
a professional's email address."""

from __future__ import annotations

from flask import request

from shared.accounts import service as accounts
from shared.accounts.common import Origin
from shared.accounts.passwords import MAX_LENGTH, MIN_LENGTH, password_problems
from shared.db import unit_of_work
from shared.errors import BadRequest, NotFound, ValidationFailed
from shared.http import client_address, current_request_id
from shared.pages import i18n, render, security

from . import bp


def _check(token: str) -> None:
    try:
        with unit_of_work() as uow:
            accounts.check_reset_token(uow, token=token)
    except BadRequest:
        raise NotFound("This password reset link does not exist.") from None


def _weak() -> str:
    return i18n.gettext("This password is too easy to guess, or holds your email address or name; "
                        "choose another.")


def _password_error(password: str, again: str) -> str | None:
    _ = i18n.gettext
    if password_problems(password):
        if len(password) < MIN_LENGTH:
            return _("Use at least %(count)s characters.", count=MIN_LENGTH)
        if len(password) > MAX_LENGTH:
            return _("Use at most %(count)s characters.", count=MAX_LENGTH)
        return _weak()
    if password != again:
        return _("The two passwords are not the same.")
    return None


@bp.get("/reset-password")
def reset_password_page():
    render.begin()
    token = request.args.get("token", "")
    _check(token)
    return render.render("reset.html", token=token, error=None, done=False,
                         min_length=MIN_LENGTH)


@bp.post("/reset-password")
def reset_password():
    """Set the new password through the same command as POST /auth/reset-password."""
    render.begin()
    security.check_csrf()
    token = request.form.get("token", "")
    password, again = request.form.get("password", ""), request.form.get("password_again", "")
    error = _password_error(password, again)
    if error:
        _check(token)
        return render.render("reset.html", status=422, token=token, error=error, done=False,
                             min_length=MIN_LENGTH)
    try:
        with unit_of_work() as uow:
            accounts.reset_password(uow, token=token, password=password,
                                    origin=Origin(client_address(), current_request_id()))
    except BadRequest:
        raise NotFound("This password reset link does not exist.") from None
    except ValidationFailed:  # the account's own email or name, which only the command knows
        return render.render("reset.html", status=422, token=token, error=_weak(), done=False,
                             min_length=MIN_LENGTH)
    return render.render("reset.html", token="", error=None, done=True, min_length=MIN_LENGTH)


def _check_verification(token: str) -> None:
    try:
        with unit_of_work() as uow:
            accounts.check_verification_token(uow, token=token)
    except BadRequest:
        raise NotFound("This verification link does not exist.") from None


@bp.get("/verify-email")
def verify_email_page():
    """Asks before it acts: mail scanners open links, a person presses the button."""
    render.begin()
    token = request.args.get("token", "")
    _check_verification(token)
    return render.render("verify.html", token=token, done=False)


@bp.post("/verify-email")
def verify_email():
    """Confirm the address through the same command as POST /auth/verify-email."""
    render.begin()
    security.check_csrf()
    token = request.form.get("token", "")
    try:
        with unit_of_work() as uow:
            accounts.verify_email(uow, token=token, origin=Origin(client_address(), current_request_id()))
    except BadRequest:
        raise NotFound("This verification link does not exist.") from None
    return render.render("verify.html", token="", done=True)
