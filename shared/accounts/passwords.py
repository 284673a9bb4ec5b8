"""Passwords: Argon2id hashes at or above the OWASP minimum, and the rules a new password must meet."""

from __future__ import annotations

import functools
import secrets
from typing import TYPE_CHECKING

from shared.errors import ValidationFailed

if TYPE_CHECKING:
    from argon2 import PasswordHasher

# argon2 is imported where a hash is made or checked: most requests of the functions that import this
# module (token refresh, profile reads) never touch a password, and cold start pays for every import.

# OWASP Password Storage Cheat Sheet minimum for Argon2id: m=19 MiB, t=2, p=1. Raising any of these makes
# every stored hash "need a rehash", which the next successful login performs.
MEMORY_COST_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1

MIN_LENGTH = 10
MAX_LENGTH = 128
# zxcvbn's estimate, from 0 (found within 10**3 guesses) to 4 (beyond 10**10); 3 is over 10**8 guesses:
# its dictionaries (30,000 passwords from public breaches, common words and names) match anywhere in the
# password, with l33t substitutions, so "password123" or "Tr0ub4dor" count for what they are.
MIN_STRENGTH = 3
TOO_WEAK = "This password is too easy to guess (a common password, word, name or pattern); choose another."
@functools.cache
def hasher() -> PasswordHasher:
    """The process-wide Argon2id hasher."""
    from argon2 import PasswordHasher, Type

    return PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM,
                          type=Type.ID)


def hash_password(password: str) -> str:
    """An Argon2id PHC string for the password."""
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the stored hash; a malformed hash simply does not match."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones."""
    from argon2.exceptions import InvalidHashError

    try:
        return hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_dummy(password: str) -> bool:
    """Spend the time a real verification takes, for an account that does not exist; always False."""
    verify_password(_dummy_hash(), password)
    return False


def _is_sequence(text: str) -> bool:
    """abcdefghij, 9876543210, ...: each character one code point after (or before) the previous one."""
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1})


def _personal_words(email: str | None, name: str | None) -> list[str]:
    words = []
    if email:
        local = email.strip().lower().split("@", 1)[0]
        words += [email.strip().lower(), local]
    if name:
        words += [name.strip().lower(), *name.lower().split()]
    return [w for w in words if len(w) >= 4]


def password_problems(password: str, *, email: str | None = None, name: str | None = None) -> list[str]:
    """What is wrong with a new password (empty when it is acceptable); email and name are the account's."""
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    if not password.strip():
        return ["A password cannot be only spaces."]
    compact = "".join(password.lower().split())
    if len(set(compact)) == 1:
        return ["A password cannot be one character repeated."]
    if _is_sequence(compact):
        return ["A password cannot be a simple sequence such as abcdefghij or 9876543210."]
    personal = _personal_words(email, name)
    if any(word.replace(" ", "") in compact for word in personal):
        return ["A password cannot contain your email address or your name."]
    from zxcvbn import zxcvbn

    if zxcvbn(password, user_inputs=personal, max_length=MAX_LENGTH)["score"] < MIN_STRENGTH:
        return [TOO_WEAK]
    return []


def validate_password(password: str, field: str = "password", *, email: str | None = None,
                      name: str | None = None) -> None:
    """Raise ValidationFailed (422) naming `field` when the new password breaks a rule."""
    problems = password_problems(password, email=email, name=name)
    if problems:
        raise ValidationFailed(errors={field: problems})
