"""Who is calling: bearer access tokens checked against the database on every request, and role guards."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import g, request

from shared import errors

PROFESSIONAL = "professional"
ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller; professional_id is None for admins."""

    user_id: int
    role: str
    professional_id: int | None


def bearer_token() -> str | None:
    """The token from `Authorization: Bearer <token>`, None without the header; 401 on any other scheme."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise errors.Unauthenticated("Use an Authorization: Bearer <access token> header.")
    return token


def _claims_principal(claims: dict[str, Any]) -> Principal:
    try:
        user_id = int(claims["sub"])
        role = claims["role"]
        pid = claims.get("pid")
        professional_id = None if pid is None else int(pid)
    except (KeyError, TypeError, ValueError):
        raise errors.Unauthenticated("Invalid access token.") from None
    if role not in (PROFESSIONAL, ADMIN):
        raise errors.Unauthenticated("Invalid access token.")
    return Principal(user_id, role, professional_id)


def authenticate(token: str) -> Principal:
    """Decode the access token, then confirm in one query that the account still exists and is active."""
    from sqlalchemy import select

    from shared.accounts.tokens import decode_access_token, issued_before
    from shared.db import unit_of_work
    from shared.models import Professional, User

    claims = decode_access_token(token)
    claimed = _claims_principal(claims)
    query = (
        select(User.role, User.is_active, Professional.id, Professional.is_active, User.sessions_valid_after)
        .outerjoin(Professional, Professional.user_id == User.id)
        .where(User.id == claimed.user_id)
    )
    with unit_of_work() as uow:
        row = uow.session.execute(query).one_or_none()
    if row is None:
        raise errors.Unauthenticated("The account no longer exists.")
    role, user_active, professional_id, professional_active, sessions_valid_after = row
    if issued_before(claims, sessions_valid_after):
        raise errors.Unauthenticated("This session has ended (logged out, password changed or account "
                                     "deactivated); log in again.")
    if role != claimed.role or professional_id != claimed.professional_id:
        raise errors.Unauthenticated("The token no longer matches the account; log in again.")
    if not user_active or (role == PROFESSIONAL and not professional_active):
        raise errors.Unauthenticated("The account is not active.")
    if role == PROFESSIONAL and professional_id is None:
        raise errors.Unauthenticated("The account has no professional profile.")
    return claimed


def _guard(view: Callable, role: str | None, required: bool) -> Callable:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = bearer_token()
        if token is None:
            if required:
                raise errors.Unauthenticated("An access token is required.")
            g.principal = None
            return view(*args, **kwargs)
        g.principal = authenticate(token)
        if role is not None and g.principal.role != role:
            raise errors.Forbidden(f"Only {role} accounts may do this.")
        return view(*args, **kwargs)

    return wrapper


def require_professional(view: Callable) -> Callable:
    """The view needs an active professional's access token; sets g.principal."""
    return _guard(view, PROFESSIONAL, required=True)


def require_admin(view: Callable) -> Callable:
    """The view needs an active admin's access token; sets g.principal."""
    return _guard(view, ADMIN, required=True)


def optional_auth(view: Callable) -> Callable:
    """g.principal is the caller when a token is sent (and must then be valid), else None."""
    return _guard(view, None, required=False)


def current_principal() -> Principal:
    """The principal a guard set for this request."""
    principal = g.get("principal")
    if principal is None:
        raise errors.Unauthenticated("An access token is required.")
    return principal
