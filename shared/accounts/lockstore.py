"""Where login lockout state lives: Redis shared by every replica, or process memory for a local run.

While Redis does not answer, the lockout counts in process memory (shared.ratelimit.with_fallback), as
the rate limits do, rather than refusing every login.
"""

from __future__ import annotations

import functools
import secrets
import threading
from collections import defaultdict
from typing import Any

from shared.config import get_settings
from shared.ratelimit import REDIS_SCHEMES, with_fallback


class RedisStore:
    """Failures as sorted sets of timestamps, locks as strings holding the unlock time."""

    def __init__(self, url: str):
        import redis  # here, not at the top: functions that never check a login need not load it

        from shared.redisconn import client_options

        self.client = redis.Redis.from_url(url, **client_options(get_settings()))

    def add_failure(self, key: str, now: float, window: int) -> int:
        """Record a failure at `now`; the number of failures in the last `window` seconds."""
        pipe = self.client.pipeline(transaction=True)
        pipe.zremrangebyscore(key, "-inf", now - window)
        pipe.zadd(key, {f"{now:.6f}:{secrets.token_hex(4)}": now})
        pipe.zcard(key)
        pipe.expire(key, window)
        return int(pipe.execute()[2])

    def get_lock(self, key: str) -> float | None:
        value = self.client.get(key)
        return None if value is None else float(value)

    def set_lock(self, key: str, until: float, ttl: int) -> None:
        self.client.set(key, repr(until), ex=ttl)

    def delete(self, *keys: str) -> None:
        self.client.delete(*keys)

    def remember(self, key: str, member: str, now: float, keep: int, most: int) -> None:
        """Note that `member` was seen at `now`; forget members unseen for `keep` seconds, keep `most`."""
        pipe = self.client.pipeline(transaction=True)
        pipe.zadd(key, {member: now})
        pipe.zremrangebyscore(key, "-inf", now - keep)
        pipe.zremrangebyrank(key, 0, -(most + 1))
        pipe.expire(key, keep)
        pipe.execute()

    def last_seen(self, key: str, member: str) -> float | None:
        return self.client.zscore(key, member)


class MemoryStore:
    """The same operations in one process's memory (`make run` without Redis)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = defaultdict(list)
        self._locks: dict[str, float] = {}
        self._seen: dict[str, dict[str, float]] = defaultdict(dict)

    def add_failure(self, key: str, now: float, window: int) -> int:
        with self._lock:
            recent = [t for t in self._failures[key] if t > now - window] + [now]
            self._failures[key] = recent
            return len(recent)

    def get_lock(self, key: str) -> float | None:
        with self._lock:
            return self._locks.get(key)

    def set_lock(self, key: str, until: float, ttl: int) -> None:
        with self._lock:
            self._locks[key] = until

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
                self._locks.pop(key, None)
                self._seen.pop(key, None)

    def remember(self, key: str, member: str, now: float, keep: int, most: int) -> None:
        with self._lock:
            seen = self._seen[key]
            seen[member] = now
            fresh = sorted((t, m) for m, t in seen.items() if t > now - keep)[-most:]
            self._seen[key] = {m: t for t, m in fresh}

    def last_seen(self, key: str, member: str) -> float | None:
        with self._lock:
            return self._seen.get(key, {}).get(member)


class FallbackStore:
    """A RedisStore whose every operation runs on a MemoryStore instead while Redis is unreachable."""

    def __init__(self, url: str):
        self.url, self.shared, self.memory = url, RedisStore(url), MemoryStore()

    def __getattr__(self, name: str) -> Any:
        shared, memory = getattr(self.shared, name), getattr(self.memory, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return with_fallback(self.url, lambda: shared(*args, **kwargs), lambda: memory(*args, **kwargs))

        return call


@functools.cache
def _store(url: str) -> FallbackStore | MemoryStore:
    if url.startswith(REDIS_SCHEMES):
        return FallbackStore(url)
    return MemoryStore()


def store() -> FallbackStore | MemoryStore:
    """The store named by settings.rate_limit_storage_url (the rate limits' storage)."""
    return _store(get_settings().rate_limit_storage_url)
