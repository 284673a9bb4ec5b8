"""Rate limits shared by every replica (Redis in production, memory in a single local process).

When the shared storage does not answer, counting goes on in this process's memory (a per-process
limit, looser than the shared one by the number of replicas) rather than refusing every client: the
switch is logged once, each request counted there adds to agenda_rate_limit_fallbacks_total, and the
storage is tried again RETRY_STORAGE_SECONDS later.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from shared import metrics
from shared.config import get_settings
from shared.errors import RateLimited, ServiceUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

_lock = threading.Lock()
_limiters: dict = {}
MEMORY_URL = "memory://"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
# While the storage is unreachable, each request would otherwise wait its timeout before falling back.
RETRY_STORAGE_SECONDS = 5.0


def _limiter(storage_url: str):
    # Imported on first use: `limits` (and the Redis client it loads) costs tens of milliseconds at cold
    # start, and several functions import this module only for client_ip().
    from limits.storage import storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    # Built under a lock: the storage checks its client library on creation, which is not thread-safe.
    with _lock:
        if storage_url not in _limiters:
            options = {}
            if storage_url.startswith(REDIS_SCHEMES):
                from shared.redisconn import client_options

                options = client_options(get_settings())
            _limiters[storage_url] = MovingWindowRateLimiter(storage_from_string(storage_url, **options))
        return _limiters[storage_url]


def limiter():
    """The limiter on the configured storage, falling back to process memory while that is unreachable."""
    return _FallbackLimiter(get_settings().rate_limit_storage_url)


class _FallbackLimiter:
    """A limiter whose every call runs on the configured storage, or on memory while that does not answer."""

    def __init__(self, storage_url: str):
        self.storage_url = storage_url

    def __getattr__(self, name: str):
        shared, memory = getattr(_limiter(self.storage_url), name), getattr(_limiter(MEMORY_URL), name)

        def call(*args, **kwargs):
            return with_fallback(self.storage_url, lambda: shared(*args, **kwargs),
                                 lambda: memory(*args, **kwargs))

        return call


class _Fallback:
    """Whether the shared storage is in use, or process memory while it is unreachable."""

    def __init__(self):
        self._lock = threading.Lock()
        self.failed_at = 0.0  # time.monotonic() of the last failure
        self.degraded = False

    def call(self, shared: Callable[[], T], memory: Callable[[], T]) -> T:
        """shared() while the storage answers; memory() when it fails or failed moments ago."""
        if not self.degraded or time.monotonic() - self.failed_at >= RETRY_STORAGE_SECONDS:
            try:
                result = shared()
            except Exception as exc:
                if not _unreachable(exc):
                    raise
                self._failed(exc)
            else:
                if self.degraded:
                    self._recovered()
                return result
        metrics.rate_limit_fallbacks.inc()
        return memory()

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            self.failed_at = time.monotonic()
            first = not self.degraded
            self.degraded = True
        if first:
            log.warning("rate-limit storage unreachable (%s: %s): counting in process memory until it "
                        "answers", type(exc).__name__, exc)

    def _recovered(self) -> None:
        with self._lock:
            first, self.degraded = self.degraded, False
        if first:
            log.warning("rate-limit storage answers again: shared counting resumed")


def _unreachable(exc: Exception) -> bool:
    """A connection-level failure of the storage (refused, reset, timed out), not a bug of ours."""
    import redis

    return isinstance(exc, (redis.RedisError, OSError))


_fallbacks: dict[str, _Fallback] = {}


def with_fallback(storage_url: str, shared: Callable[[], T], memory: Callable[[], T]) -> T:
    """Run shared() against the storage at storage_url, or memory() while that storage is unreachable."""
    state = _fallbacks.get(storage_url)
    if state is None:
        with _lock:
            state = _fallbacks.setdefault(storage_url, _Fallback())
    return state.call(shared, memory)


def rule(name: str) -> str:
    """The configured rate of the limit `name` (RATE_LIMIT_<NAME>, e.g. "10/minute")."""
    return get_settings().rate_limits[name]


def hit(name: str, *identifiers: str, detail: str = "Too many requests. Try again later.") -> None:
    """Count one request against the limit `name` for the identifiers; raise RateLimited when over.

    Client addresses go in as address_key(ip), so that an IPv6 client counts once for its whole /64.
    """
    if not _consume(name, identifiers):
        _refuse(name, identifiers, detail)


def check(name: str, *identifiers: str, detail: str = "Too many requests. Try again later.") -> None:
    """Raise RateLimited when the limit `name` is spent for the identifiers, without counting anything."""
    item, keys = _item(name, identifiers)
    try:
        allowed = limiter().test(item, *keys)
    except Exception as exc:
        raise ServiceUnavailable("Rate limiting is unavailable; try again shortly.") from exc
    if not allowed:
        _refuse(name, identifiers, detail)


def count(name: str, *identifiers: str) -> bool:
    """Count one event against the limit `name` after the fact (what check() looks at); False when over."""
    return _consume(name, identifiers)


def _item(name: str, identifiers) -> tuple:
    """The parsed rule of limit `name` and its counter's keys (the name first: one namespace per limit)."""
    return _parse(rule(name)), [name, *(str(i) for i in identifiers)]


def _consume(name: str, identifiers) -> bool:
    item, keys = _item(name, identifiers)
    try:
        return limiter().hit(item, *keys)
    except Exception as exc:  # the storage is down: refuse rather than let unlimited traffic through
        raise ServiceUnavailable("Rate limiting is unavailable; try again shortly.") from exc


def _refuse(name: str, identifiers, detail: str):
    item, keys = _item(name, identifiers)
    try:
        reset_at, _remaining = limiter().get_window_stats(item, *keys)
    except Exception as exc:
        raise ServiceUnavailable("Rate limiting is unavailable; try again shortly.") from exc
    raise RateLimited(detail, retry_after=max(1, math.ceil(reset_at - time.time())))


@functools.cache
def _parse(rule: str):
    # Rules are a handful of constants: parse each once.
    from limits import parse

    return parse(rule)


# An IPv6 client usually holds a whole /64 (one customer's network); counting per address would give it
# 2**64 budgets.
IPV6_PREFIX = 64


def address_key(ip: str | None) -> str:
    """What a per-address limit counts: the IPv4 address, or the /64 network of an IPv6 address."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return ip or "unknown"
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))


def client_ip(remote_addr: str | None, forwarded_for: str | None, trusted_proxies: int | None = None) -> str:
    """The client's address, from X-Forwarded-For only as far as the configured trusted proxies reach."""
    trusted = get_settings().trusted_proxy_count if trusted_proxies is None else trusted_proxies
    if trusted and forwarded_for:
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        if len(hops) >= trusted:
            address = _address(hops[-trusted])
            if address:
                return address
    return _address(remote_addr or "") or "unknown"


def _address(hop: str) -> str | None:
    """The bare IP of a hop ("203.0.113.9", "203.0.113.9:5123", "[2001:db8::1]:443"), or None."""
    candidates = [hop]
    if hop.startswith("[") and "]" in hop:
        candidates = [hop[1:hop.index("]")]]
    elif hop.count(":") == 1:
        candidates.append(hop.split(":", 1)[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None
