"""The Huey object: Redis in production, an SQLite file for `make run` without Redis, memory if asked."""

from __future__ import annotations

from pathlib import Path

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.storage import RedisStorage

from shared.config import Settings, get_settings
from shared.redisconn import blocking_read_seconds, client_options

NAME = "agenda"


def build_huey(settings: Settings) -> Huey:
    """A Huey for settings.huey_backend; results are not kept, tasks report through the database."""
    if settings.huey_backend == "redis":
        from redis import ConnectionPool

        # Bounded waits: a request that commits while Redis is unreachable must not hang on the enqueue
        # (the sweeper re-sends); the consumer's blocking read stays inside the socket timeout.
        pool = ConnectionPool.from_url(settings.redis_url, **client_options(settings))
        return RedisHuey(NAME, results=False, connection_pool=pool,
                         read_timeout=blocking_read_seconds(settings))
    if settings.huey_backend == "sqlite":
        path = Path(settings.huey_sqlite_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(NAME, results=False, filename=str(path))
    return MemoryHuey(NAME, results=False)


huey = build_huey(get_settings())


def enqueue_many(tasks: list) -> None:
    """Enqueue tasks (built with `task_wrapper.s(...)`) as one Redis LPUSH: one round trip for many.

    Huey has no batch enqueue, so for Redis the serialized messages are pushed in one command onto the
    same queue key Huey's own enqueue uses; each message is still one ordinary task, so the consumer,
    retries and the "claim the row first" guard are unchanged. LPUSH of many values is atomic: either
    every message is queued or none is. Other storages (SQLite, memory, immediate mode) and tasks with
    a priority or expiry go through huey.enqueue one by one. The batch path skips Huey's "enqueued"
    signal, which nothing here listens to.
    """
    storage = huey.storage
    plain_redis = isinstance(storage, RedisStorage) and type(storage).enqueue is RedisStorage.enqueue
    if huey.immediate or not plain_redis or any(task.priority or task.expires for task in tasks):
        for task in tasks:
            huey.enqueue(task)
        return
    if tasks:
        storage.conn.lpush(storage.queue_key, *[huey.serialize_task(task) for task in tasks])
