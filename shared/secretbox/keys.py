"""The keys and the stored format of shared.secretbox, without settings: what shared.config needs to
validate ENCRYPTION_KEY at start-up (shared.secretbox itself reads the settings, so config imports this)."""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass, field

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
