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

from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from shared.secretbox.keys import (
    KEY_BYTES,
    KEY_ID,
    NONCE_BYTES,
    VERSION,
    EncryptionKeyError,
    Keyring,
    _split,
    parse_key,
    parse_key_id,
)

__all__ = ["KEY_BYTES", "KEY_ID", "NONCE_BYTES", "VERSION", "EncryptedText", "EncryptionKeyError", "Keyring",
           "count_by_key", "decrypt", "encrypt", "encrypted_columns", "key_id_of", "keyring", "parse_key",
           "parse_key_id", "rotate"]

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
