"""Login lockout: 10 failures in 15 minutes lock an account for 15 minutes, but not where its owner logs in.

Design. Failures are counted per account (the normalized email, hashed, so unknown emails behave exactly
like real ones and a lock reveals nothing) in a sliding window. At MAX_FAILURES the account is locked for
LOCK_SECONDS: every attempt, even with the right password, gets 429 with Retry-After. The lock is set once
and attempts made while locked are not counted, so it never extends; it simply ends.

So that an attacker cannot keep an owner out by re-locking the account every 15 minutes, an address from
which the account logged in successfully in the last REMEMBER_IP_SECONDS is "known": attempts from it are
counted and locked separately, per (account, address). An attacker elsewhere therefore locks only the
account for unknown addresses; the owner keeps logging in from where they usually do, and an attacker
behind that same address is still held to 10 attempts per 15 minutes. Per-address rate limits
(shared.ratelimit) bound how many accounts one address can try.

`clock` is the time source (tests move it forward instead of waiting 15 minutes).
"""

from __future__ import annotations

import hashlib
import math
import time

from shared.accounts.lockstore import store
from shared.errors import RateLimited

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60
LOCK_SECONDS = 15 * 60
REMEMBER_IP_SECONDS = 30 * 24 * 3600
REMEMBER_IP_MOST = 20
PREFIX = "agenda:lockout:"


def clock() -> float:
    """Seconds since the epoch."""
    return time.time()


def account_key(email: str) -> str:
    """The account's name in the store: a digest of the normalized email."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _scope(email: str, ip: str | None, now: float) -> str:
    account = account_key(email)
    seen = store().last_seen(f"{PREFIX}known:{account}", ip) if ip else None
    if seen is not None and seen > now - REMEMBER_IP_SECONDS:
        return f"{account}:{ip}"
    return account


def check(email: str, ip: str | None) -> None:
    """Raise RateLimited while logins for this account (from this address) are locked."""
    now = clock()
    until = store().get_lock(f"{PREFIX}lock:{_scope(email, ip, now)}")
    if until is not None and until > now:
        raise RateLimited("Too many failed login attempts. Try again later.",
                          retry_after=max(1, math.ceil(until - now)))


def record_failure(email: str, ip: str | None) -> None:
    """Count a failed login; the one that reaches MAX_FAILURES starts the lock."""
    now = clock()
    scope = _scope(email, ip, now)
    failures = store().add_failure(f"{PREFIX}fail:{scope}", now, WINDOW_SECONDS)
    if failures >= MAX_FAILURES:
        store().set_lock(f"{PREFIX}lock:{scope}", now + LOCK_SECONDS, LOCK_SECONDS)
        store().delete(f"{PREFIX}fail:{scope}")


def record_success(email: str, ip: str | None) -> None:
    """Forget the failures counted for this login's scope and remember the address as known."""
    now = clock()
    account = account_key(email)
    store().delete(f"{PREFIX}fail:{_scope(email, ip, now)}")
    if ip:
        store().remember(f"{PREFIX}known:{account}", ip, now, REMEMBER_IP_SECONDS, REMEMBER_IP_MOST)


def clear(email: str) -> None:
    """Lift the account-wide failures and lock (after the owner proved control of the mailbox)."""
    account = account_key(email)
    store().delete(f"{PREFIX}fail:{account}", f"{PREFIX}lock:{account}")
