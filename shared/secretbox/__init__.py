"""Encryption at rest for values the database must never hold in clear (private notes, stored passwords).

    encrypt(text) -> str     AES-256-GCM under the current key: "v1:<key id>:<base64url(nonce + ciphertext)>"
    decrypt(value) -> str    under whichever configured key the value names
    key_id_of(value) -> str  the key a stored value was written with
    EncryptedText            a column type doing both, so models read and write plain text
    rotate(engine)           re-encrypts every EncryptedText column under the current key

The keys come from settings: ENCRYPTION_KEY (32 random bytes, base64) written as ENCRYPTION_KEY_ID, and
ENCRYPTION_PREVIOUS_KEYS ("id:key,id:key") still read during a rotation. A value under a key that is not
configured, or that fails authentication (wrong key, altered bytes), raises EncryptionKeyError naming
the key id: never a blank. `python -m shared.secretbox` has the operator's commands (new-key, rotate).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass, field

from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class EncryptionKeyError(RuntimeError):
    """A key is missing, malformed or not the one a value was written with; the message names it."""


def parse_key(name: str, raw: str) -> bytes:
    """The 32 bytes of a base64 (standard or URL-safe) key; EncryptionKeyError naming the setting."""
    text = raw.strip().replace("-", "+").replace("_", "/")
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise EncryptionKeyError(f"{name} must be {KEY_BYTES} random bytes in base64 "
                                 "(make one with: python -m shared.secretbox new-key)")
    return key


def parse_key_id(name: str, raw: str) -> str:
    if not KEY_ID.fullmatch(raw):
        raise EncryptionKeyError(f"{name} must be 1-32 letters, digits, '-' or '_', got {raw!r}")
    return raw


@dataclass(frozen=True)
class Keyring:
    """The key new values are written with, and every key values may have been written with."""

    current_id: str
    keys: dict[str, bytes] = field(repr=False)

    @classmethod
    def from_settings(cls, *, key: str | None, key_id: str, previous: str | None) -> Keyring:
        """Parse the three settings; EncryptionKeyError naming the one that is missing or malformed."""
        if not key:
            raise EncryptionKeyError("ENCRYPTION_KEY is required: it encrypts private notes at rest "
                                     "(make one with: python -m shared.secretbox new-key)")
        current_id = parse_key_id("ENCRYPTION_KEY_ID", key_id)
        keys = {current_id: parse_key("ENCRYPTION_KEY", key)}
        for entry in (previous or "").split(","):
            if not entry.strip():
                continue
            old_id, sep, old_key = entry.strip().partition(":")
            if not sep:
                raise EncryptionKeyError("ENCRYPTION_PREVIOUS_KEYS must be a comma-separated list of "
                                         "<key id>:<base64 key>")
            old_id = parse_key_id("ENCRYPTION_PREVIOUS_KEYS", old_id)
            if old_id in keys:
                raise EncryptionKeyError(f"ENCRYPTION_PREVIOUS_KEYS repeats key id {old_id!r}")
            keys[old_id] = parse_key("ENCRYPTION_PREVIOUS_KEYS", old_key)
        return cls(current_id=current_id, keys=keys)

    def encrypt(self, text: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current_id]).encrypt(nonce, text.encode(), _aad(self.current_id))
        return f"{VERSION}:{self.current_id}:{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"

    def decrypt(self, value: str) -> str:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key_id, blob = _split(value)
        key = self.keys.get(key_id)
        if key is None:
            raise EncryptionKeyError(f"A stored value was encrypted with key {key_id!r}, which is not "
                                     "configured (ENCRYPTION_KEY_ID or ENCRYPTION_PREVIOUS_KEYS).")
        try:
            return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _aad(key_id)).decode()
        except InvalidTag:
            raise EncryptionKeyError(f"A stored value under key {key_id!r} cannot be decrypted: the key "
                                     f"configured as {key_id!r} is not the one it was written with, or "
                                     "the value was altered.") from None


def _aad(key_id: str) -> bytes:
    # The version and key id are authenticated too: relabelling a value with another key id fails.
    return f"agenda:{VERSION}:{key_id}".encode()


def _split(value: str) -> tuple[str, bytes]:
    version, _, rest = value.partition(":")
    key_id, _, encoded = rest.partition(":")
    if version != VERSION or not KEY_ID.fullmatch(key_id) or not encoded:
        raise EncryptionKeyError("A stored value is not in the encrypted format (v1:<key id>:<data>).")
    try:
        blob = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        raise EncryptionKeyError(f"A stored value under key {key_id!r} is damaged.") from None
    if len(blob) < NONCE_BYTES + 16:
        raise EncryptionKeyError(f"A stored value under key {key_id!r} is damaged.")
    return key_id, blob


def key_id_of(value: str) -> str:
    """The id of the key a stored value was written with."""
    return _split(value)[0]


def keyring() -> Keyring:
    """The keyring of the process-wide settings (validated when the settings are read)."""
    from shared.config import get_settings

    return get_settings().keyring


def encrypt(text: str) -> str:
    """`text` sealed under the current key, as a string to store."""
    return keyring().encrypt(text)


def decrypt(value: str) -> str:
    """The text of a stored value; EncryptionKeyError when its key is missing or wrong."""
    return keyring().decrypt(value)


class EncryptedText(TypeDecorator):
    """A TEXT column that holds only ciphertext; Python code reads and writes plain text (None stays NULL)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


def encrypted_columns(metadata) -> list[tuple[str, str, str]]:
    """(table, primary key column, column) of every EncryptedText column in `metadata`."""
    found = []
    for table in metadata.sorted_tables:
        (pk,) = table.primary_key.columns
        found.extend((table.name, pk.name, column.name) for column in table.columns
                     if isinstance(column.type, EncryptedText))
    return found


def rotate(engine, columns: list[tuple[str, str, str]], ring: Keyring | None = None,
           batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every value of `columns` not yet under the current key; returns the count per column.

    Batches of `batch_size` rows, each its own transaction, so a large table is not locked for long and an
    interrupted run resumes where it stopped. A row changed meanwhile is left for the next run.
    """
    from sqlalchemy import text

    ring = ring or keyring()
    prefix = f"{VERSION}:{ring.current_id}:"
    done: dict[str, int] = {}
    for table, pk, column in columns:
        count, after = 0, 0
        while True:
            with engine.begin() as conn:
                rows = conn.execute(text(
                    f'SELECT "{pk}", "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL '
                    f'AND left("{column}", :n) <> :prefix AND "{pk}" > :after '
                    f'ORDER BY "{pk}" LIMIT :limit'),
                    {"n": len(prefix), "prefix": prefix, "after": after, "limit": batch_size}).all()
                for row_id, value in rows:
                    count += conn.execute(text(
                        f'UPDATE "{table}" SET "{column}" = :new WHERE "{pk}" = :id AND "{column}" = :old'),
                        {"new": ring.encrypt(ring.decrypt(value)), "id": row_id, "old": value}).rowcount
            if len(rows) < batch_size:
                break
            after = rows[-1][0]
        done[f"{table}.{column}"] = count
    return done


def count_by_key(engine, columns: list[tuple[str, str, str]]) -> dict[str, dict[str, int]]:
    """How many values of each column are under each key id (what rotation still has to do)."""
    from sqlalchemy import text

    report: dict[str, dict[str, int]] = {}
    with engine.connect() as conn:
        for table, _pk, column in columns:
            rows = conn.execute(text(
                f'SELECT split_part("{column}", \':\', 2), count(*) FROM "{table}" '
                f'WHERE "{column}" IS NOT NULL GROUP BY 1 ORDER BY 1')).all()
            report[f"{table}.{column}"] = {key_id: n for key_id, n in rows}
    return report
