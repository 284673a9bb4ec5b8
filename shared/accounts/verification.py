"""Email verification: a professional proves the address is theirs by opening a link emailed to it.

The token is `<user id>.<expiry>.<HMAC(LINK_SECRET, purpose:user id:email:expiry)>`: nothing is stored,
and a token stops working when the account's email changes or the expiry passes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

from shared.config import get_settings

PURPOSE = "email_verification"
LIFETIME = dt.timedelta(days=3)


def _mac(user_id: int, email: str, expires: int) -> str:
    message = f"{PURPOSE}:{user_id}:{email}:{expires}".encode()
    digest = hmac.new(get_settings().link_secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(user_id: int, email: str, expires: int) -> str:
    """The token of the link for this account and address, valid until `expires` (epoch seconds)."""
    return f"{user_id}.{expires}.{_mac(user_id, email, expires)}"


def parse_token(token: str) -> tuple[int, int, str] | None:
    """(user id, expiry, mac) of a well-shaped token, else None."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[0]) > 18:
        return None
    return int(parts[0]), int(parts[1]), parts[2]


def matches(token_mac: str, user_id: int, email: str, expires: int) -> bool:
    """True when the token was made for this account and its current address."""
    return hmac.compare_digest(token_mac, _mac(user_id, email, expires))


def new_expiry(now: dt.datetime) -> int:
    return int((now + LIFETIME).timestamp())
