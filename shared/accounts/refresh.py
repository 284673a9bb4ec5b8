"""Refresh tokens: opaque, stored as SHA-256, rotated on every use, and a reused one revokes its family."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update

from shared.config import get_settings
from shared.models import RefreshToken

TOKEN_BYTES = 32  # 256 bits
MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True)
class Rotation:
    """The outcome of presenting a refresh token: its user and successor, or no successor (and why)."""

    user_id: int | None
    token: str | None
    reused: bool = False


def hash_refresh_token(token: str) -> bytes:
    """The SHA-256 under which a refresh token is stored."""
    return hashlib.sha256(token.encode()).digest()


def issue(session, *, user_id: int, family_id: uuid.UUID | None = None,
          expires_at: dt.datetime | None = None) -> str:
    """Store a new refresh token (a new family unless one is given) and return its only plaintext copy."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    if expires_at is None:
        expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=get_settings().refresh_token_days)
    session.add(RefreshToken(user_id=user_id, family_id=family_id or uuid.uuid4(),
                             token_hash=hash_refresh_token(token), expires_at=expires_at))
    session.flush()
    return token


def rotate(session, token: str) -> Rotation:
    """Spend a token and issue its successor (same family, same absolute expiry).

    One conditional UPDATE decides who spends a token, so two concurrent refreshes cannot both succeed.
    A token that was already spent means a copy is in someone else's hands: its family is revoked and
    Rotation.reused is set (the caller commits that revocation before refusing the request).
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return Rotation(None, None)
    token_hash = hash_refresh_token(token)
    spent = session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash, RefreshToken.used_at.is_(None),
               RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > func.now())
        .values(used_at=func.now())
        .returning(RefreshToken.user_id, RefreshToken.family_id, RefreshToken.expires_at)
    ).one_or_none()
    if spent is not None:
        successor = issue(session, user_id=spent.user_id, family_id=spent.family_id,
                          expires_at=spent.expires_at)
        return Rotation(spent.user_id, successor)
    row = session.execute(
        select(RefreshToken.user_id, RefreshToken.family_id, RefreshToken.used_at)
        .where(RefreshToken.token_hash == token_hash)
    ).one_or_none()
    if row is not None and row.used_at is not None:
        revoke_family(session, row.family_id)
        return Rotation(row.user_id, None, reused=True)
    return Rotation(None, None)


def revoke_family(session, family_id: uuid.UUID) -> int:
    """Revoke every live token of a family; the number revoked."""
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return result.rowcount


def revoke_by_token(session, token: str) -> int | None:
    """Revoke the family of a presented token (log out) and return its user; an unknown token changes
    nothing (None)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = session.execute(
        select(RefreshToken.family_id, RefreshToken.user_id)
        .where(RefreshToken.token_hash == hash_refresh_token(token))
    ).one_or_none()
    if row is None:
        return None
    revoke_family(session, row.family_id)
    return row.user_id


def revoke_all_for_user(session, user_id: int) -> int:
    """Revoke every live refresh token of a user (password reset, deactivation)."""
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return result.rowcount
