"""Access tokens: short-lived JWTs with a pinned algorithm and every registered claim checked.

PyJWT is loaded where a token is signed or verified, not with this module, and as it is installed without
its optional `crypto` extra (see pyjwt()), so a function that never sees a token (public, health) holds
none of it just for `revocation_instant` (a password reset ends sessions without reading a token).
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
import sys
import threading
import uuid
from types import ModuleType

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


class _NoCryptographyHere:
    """A meta-path finder that hides `cryptography` from the one thread that is importing PyJWT."""

    def __init__(self):
        self.thread = threading.get_ident()

    def find_spec(self, name, path=None, target=None):
        if threading.get_ident() == self.thread and name.partition(".")[0] == "cryptography":
            # Named as the package itself, so that `from cryptography import x509` fails as it would
            # without cryptography installed, even when the bare package is imported already.
            raise ModuleNotFoundError("No module named 'cryptography'", name="cryptography")
        return None  # every other import, and every other thread, goes on as usual


_pyjwt_lock = threading.Lock()
_pyjwt: ModuleType | None = None


def pyjwt() -> ModuleType:
    """PyJWT with its HMAC algorithms only, as installed without the optional `crypto` extra.

    PyJWT imports cryptography's RSA, EC, EdDSA and X.509 bindings whenever cryptography is installed (it
    is, for shared.secretbox): about 9 MiB in every worker that signs or verifies a token, for algorithms
    ALGORITHM pins out anyway (make bench, case 8). jwt.algorithms takes its documented path for a missing
    cryptography (`has_crypto` False) when the import fails there, so the import of PyJWT runs with
    cryptography hidden from the importing thread only; other threads, and this one afterwards, import it
    as usual. Where cryptography's bindings are loaded already, hiding them would save nothing: PyJWT
    gets them.
    """
    global _pyjwt
    if _pyjwt is None:
        with _pyjwt_lock:
            if _pyjwt is None:
                _pyjwt = _import_without_cryptography("jwt")
    return _pyjwt


# What PyJWT's cryptography costs: the bindings every algorithm module loads. The bare package `cryptography`
# is cheap, and the Redis client imports it to see whether it is installed.
CRYPTOGRAPHY_BINDINGS = "cryptography.hazmat.bindings._rust"


def _import_without_cryptography(name: str) -> ModuleType:
    if name in sys.modules or CRYPTOGRAPHY_BINDINGS in sys.modules:
        return importlib.import_module(name)
    finder = _NoCryptographyHere()
    sys.meta_path.insert(0, finder)
    try:
        return importlib.import_module(name)
    finally:
        sys.meta_path.remove(finder)


def issue_access_token(*, user_id: int, role: str, professional_id: int | None,
                       settings: Settings | None = None, now: dt.datetime | None = None) -> tuple[str, int]:
    """Sign an access token for a user; returns (token, seconds until it expires)."""
    jwt = pyjwt()

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
    jwt = pyjwt()

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
