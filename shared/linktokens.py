"""Tokens for links sent by email (manage an appointment, reset a password): random, stored only as hashes.

A token is HMAC-SHA256(LINK_SECRET, link_type:nonce), link_type being the link's type. The database keeps
the nonce and the token's SHA-256, so the job that sends the email later can re-derive the link, while a
database dump alone cannot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from shared.config import get_settings

NONCE_BYTES = 16  # 128 bits of randomness per token


def hash_token(token: str) -> bytes:
    """The SHA-256 under which a token is stored and looked up."""
    return hashlib.sha256(token.encode()).digest()


def derive(link_type: str, nonce: bytes, secret: str | None = None) -> str:
    """The token for a stored nonce."""
    key = (secret or get_settings().link_secret).encode()
    digest = hmac.new(key, link_type.encode() + b":" + nonce, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_token(link_type: str) -> tuple[str, bytes, bytes]:
    """A fresh (token, nonce, token_hash) triple."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    token = derive(link_type, nonce)
    return token, nonce, hash_token(token)


def looks_like_token(value: str) -> bool:
    """Cheap shape check before touching the database (43 url-safe base64 characters)."""
    return len(value) == 43 and all(c.isalnum() or c in "-_" for c in value)
