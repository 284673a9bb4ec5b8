"""The Huey object: Redis in production, an SQLite file for `make run` without Redis, memory if asked."""

from __future__ import annotations

from pathlib import Path

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

from shared.config import Settings, get_settings

NAME = "agenda"


def build_huey(settings: Settings) -> Huey:
    """A Huey for settings.huey_backend; results are not kept, tasks report through the database."""
    if settings.huey_backend == "redis":
        from redis import ConnectionPool

        # Bounded waits: a request that commits while Redis is unreachable must not hang on the enqueue
        # (the sweeper re-sends); socket_timeout stays above the consumer's 1 s blocking read.
        pool = ConnectionPool.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5,
                                       health_check_interval=30)
        return RedisHuey(NAME, results=False, connection_pool=pool)
    if settings.huey_backend == "sqlite":
        path = Path(settings.huey_sqlite_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(NAME, results=False, filename=str(path))
    return MemoryHuey(NAME, results=False)


huey = build_huey(get_settings())
