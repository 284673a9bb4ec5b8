"""The options every Redis client is built with: short timeouts, so a Redis that hangs costs little."""

from __future__ import annotations

from typing import Any


def client_options(settings) -> dict[str, Any]:
    """Connection-pool keyword arguments for redis-py, from settings.redis_timeout_ms.

    redis-py would otherwise wait up to its default timeouts and retry ten times with backoff, so a
    stopped (not closed) Redis held each request for many seconds. One immediate retry is kept: it
    covers a pooled connection that a restarted Redis closed.
    """
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    seconds = settings.redis_timeout_ms / 1000
    return {"socket_connect_timeout": seconds, "socket_timeout": seconds, "retry": Retry(NoBackoff(), 1),
            "health_check_interval": 30}


def blocking_read_seconds(settings) -> float:
    """How long the consumer's blocking read (BRPOP) waits for a task: well inside the socket timeout."""
    return settings.redis_timeout_ms * 0.4 / 1000
