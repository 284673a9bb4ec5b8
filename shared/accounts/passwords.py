"""Passwords: Argon2id hashes at or above the OWASP minimum, and the rules a new password must meet."""

from __future__ import annotations

import functools
import secrets
from pathlib import Path
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
# The most common passwords of a public breach corpus (SecLists 10k-most-common, first 3,904 entries).
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


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


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def password_problems(password: str) -> list[str]:
    """What is wrong with a new password (empty when it is acceptable)."""
    if len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    if password.strip().lower() in common_passwords():
        return ["This password is too common; choose another."]
    return []


def validate_password(password: str, field: str = "password") -> None:
    """Raise ValidationFailed (422) naming `field` when the new password breaks a rule."""
    problems = password_problems(password)
    if problems:
        raise ValidationFailed(errors={field: problems})
