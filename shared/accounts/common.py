"""Small helpers the account services share: who is asking, audit rows, unique inserts, account lookups."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shared import audit, ratelimit
from shared.models import User, UserRole

UNIQUE_VIOLATION = "23505"


@dataclass(frozen=True)
class Origin:
    """Where a request came from, for rate limits and the audit trail."""

    ip: str | None = None
    request_id: str | None = None

    @property
    def audit_ip(self) -> str | None:
        """The address if it is one PostgreSQL's INET accepts, else None."""
        try:
            return str(ipaddress.ip_address(self.ip)) if self.ip else None
        except ValueError:
            return None

    @property
    def limit_key(self) -> str:
        """What per-address limits count: the address, or its /64 for IPv6."""
        return ratelimit.address_key(self.ip)


NO_ORIGIN = Origin()


def normalize_email(email: str) -> str:
    """Emails are stored trimmed and lower-cased (the database checks it)."""
    return email.strip().lower()


def user_by_email(session, email: str) -> User | None:
    return session.execute(select(User).where(User.email == normalize_email(email))).scalar_one_or_none()


def is_active(user: User) -> bool:
    """An account may log in: the user is active and, for a professional, so is the profile."""
    if not user.is_active:
        return False
    if user.role == UserRole.admin:
        return True
    return user.professional is not None and user.professional.is_active


def record(session, action: str, origin: Origin, **fields: Any) -> None:
    """An audit row with the request's address and id."""
    audit.record(session, action=action, ip_address=origin.audit_ip, request_id=origin.request_id, **fields)


def violated_constraint(error: IntegrityError) -> str | None:
    """The name of the unique constraint an IntegrityError violated, or None for any other violation."""
    orig = error.orig
    if getattr(orig, "sqlstate", None) != UNIQUE_VIOLATION:
        return None
    return getattr(getattr(orig, "diag", None), "constraint_name", None)


def insert_unique(session, row: Any, *constraints: str) -> bool:
    """Insert `row` inside a savepoint; False if it collides on one of `constraints`, any other error
    propagates."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as error:
        if violated_constraint(error) in constraints:
            return False
        raise
    return True
