"""Auth function: register, log in, refresh and log out, and reset a forgotten password (/auth/*)."""

from flask import Blueprint

from shared.accounts import schemas
from shared.accounts import service as accounts
from shared.accounts.common import Origin
from shared.db import unit_of_work
from shared.http import (
    accepted,
    client_address,
    create_app,
    created,
    current_request_id,
    dump,
    no_content,
    parse_body,
)

FORGOT_PASSWORD_ANSWER = {
    "detail": "If an active account uses this email, a link to reset its password is on its way.",
}

bp = Blueprint("auth", __name__)


def _origin() -> Origin:
    return Origin(client_address(), current_request_id())


@bp.post("/auth/register")
def register():
    """Create a professional account (user, profile, default settings) and log it in."""
    registration_in = parse_body(schemas.RegistrationCreate)
    with unit_of_work() as uow:
        body = accounts.register(uow, registration_in=registration_in, origin=_origin())
        return created(dump(schemas.SessionRead, body), "/me")


@bp.post("/auth/login")
def login():
    """Exchange email and password for an access token and a refresh token."""
    login_in = parse_body(schemas.LoginCreate)
    with unit_of_work() as uow:
        body = accounts.authenticate(uow, **login_in, origin=_origin())
        return dump(schemas.SessionRead, body)


@bp.post("/auth/refresh")
def refresh():
    """Exchange a refresh token for a new access token and the refresh token that replaces it."""
    refresh_in = parse_body(schemas.RefreshCreate)
    with unit_of_work() as uow:
        return dump(schemas.TokensRead, accounts.refresh_session(uow, **refresh_in, origin=_origin()))


@bp.post("/auth/logout")
def logout():
    """Revoke the refresh token's session (its whole rotation family)."""
    logout_in = parse_body(schemas.RefreshCreate)
    with unit_of_work() as uow:
        accounts.logout(uow, **logout_in)
    return no_content()


@bp.post("/auth/forgot-password")
def forgot_password():
    """Email a password reset link if the account exists; the answer is the same either way."""
    forgot_in = parse_body(schemas.ForgotPasswordCreate)
    accounts.forgot_password(**forgot_in, origin=_origin())
    return accepted(FORGOT_PASSWORD_ANSWER)


@bp.post("/auth/reset-password")
def reset_password():
    """Set a new password with the token from a reset email; every session of the account ends."""
    reset_in = parse_body(schemas.PasswordResetCreate)
    with unit_of_work() as uow:
        accounts.reset_password(uow, **reset_in, origin=_origin())
    return no_content()


@bp.post("/auth/verify-email")
def verify_email():
    """Confirm the account's email address with the token from the emailed link."""
    verify_in = parse_body(schemas.EmailVerificationCreate)
    with unit_of_work() as uow:
        accounts.verify_email(uow, **verify_in, origin=_origin())
    return no_content()


app = create_app("auth", bp)
