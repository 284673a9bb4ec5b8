"""Access tokens: short-lived JWTs with a pinned algorithm and every registered claim checked.

PyJWT is imported where a token is signed or verified, not with this module: it brings cryptography's
bindings and X.509, about 10 MiB, which a function that never sees a token (public, health) would
otherwise hold just for `revocation_instant` (a password reset ends sessions without reading a token).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid

from shared.config import Settings, get_settings
from shared.errors import Unauthenticated

ALGORITHM = "HS256"
ACCESS_TYPE = "access"
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "typ", "role")
# Clocks of replicas drift a little; an `iat` further in the future than this is refused.
CLOCK_SKEW_SECONDS = 60


def issued_at(now: dt.datetime) -> float:
    """`iat` to the millisecond (JWT allows fractions), so that revocation (User.sessions_valid_after, kept to
    the millisecond too) ends exactly the tokens issued before it, even within the same second."""
    return math.floor(now.timestamp() * 1000) / 1000


def revocation_instant(now: dt.datetime) -> dt.datetime:
    """The sessions_valid_after for a revocation at `now`: tokens issued from then on stay valid."""
    return dt.datetime.fromtimestamp(issued_at(now), dt.UTC)


def issued_before(claims: dict, instant: dt.datetime | None) -> bool:
    """True when the token was issued before `instant` (compared in whole milliseconds)."""
    return instant is not None and round(claims["iat"] * 1000) < round(instant.timestamp() * 1000)


def issue_access_token(*, user_id: int, role: str, professional_id: int | None,
                       settings: Settings | None = None, now: dt.datetime | None = None) -> tuple[str, int]:
    """Sign an access token for a user; returns (token, seconds until it expires)."""
    import jwt

    settings = settings or get_settings()
    now = now or dt.datetime.now(dt.UTC)
    lifetime = settings.access_token_minutes * 60
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "typ": ACCESS_TYPE,
        "role": role,
        "pid": professional_id,
        "iat": issued_at(now),
        "exp": int(now.timestamp()) + lifetime,
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM, headers={"kid": settings.jwt_key_id})
    return token, lifetime


def _key_for(kid: str | None, settings: Settings) -> str:
    # The current key is named by JWT_KEY_ID; previous keys keep validating during a rotation as "prev-<n>".
    if kid == settings.jwt_key_id:
        return settings.jwt_secret
    if kid and kid.startswith("prev-") and kid[5:].isdigit():
        index = int(kid[5:])
        if index < len(settings.jwt_previous_secrets):
            return settings.jwt_previous_secrets[index]
    raise Unauthenticated("The access token is signed with an unknown key.")


def decode_access_token(token: str, settings: Settings | None = None) -> dict:
    """Verify signature, algorithm, issuer, audience, type and expiry; raise Unauthenticated otherwise."""
    import jwt

    settings = settings or get_settings()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthenticated("The access token is malformed.") from None
    if header.get("alg") != ALGORITHM:
        raise Unauthenticated("The access token uses a forbidden algorithm.")
    key = _key_for(header.get("kid"), settings)
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=settings.jwt_audience,
                            issuer=settings.jwt_issuer, options={"require": list(REQUIRED_CLAIMS)})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("The access token has expired.") from None
    except jwt.PyJWTError:
        raise Unauthenticated("The access token is invalid.") from None
    if claims.get("typ") != ACCESS_TYPE:
        raise Unauthenticated("The token is not an access token.")
    if claims.get("role") not in ("professional", "admin") or not str(claims.get("sub", "")).isdigit():
        raise Unauthenticated("The access token is invalid.")
    _check_lifetime(claims, settings)
    return claims


def _check_lifetime(claims: dict, settings: Settings) -> None:
    """Whatever `exp` says, a token lives at most ACCESS_TOKEN_MINUTES from an `iat` not in the future."""
    issued_at, expires_at = claims["iat"], claims["exp"]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (issued_at, expires_at)):
        raise Unauthenticated("The access token is invalid.")
    now = dt.datetime.now(dt.UTC).timestamp()
    if issued_at > now + CLOCK_SKEW_SECONDS:
        raise Unauthenticated("The access token is issued in the future.")
    if expires_at - issued_at > settings.access_token_minutes * 60:
        raise Unauthenticated("The access token lives longer than this server allows.")
    if now > issued_at + settings.access_token_minutes * 60:
        raise Unauthenticated("The access token has expired.")
