"""Health function: can this deployment serve requests (database, and Redis when configured)?"""

from __future__ import annotations

from flask import Blueprint

from shared.config import get_settings
from shared.http import create_app, problem, require_professional
from shared.http.logs import get_logger
from shared.http.metrics import add_collector
from shared.metrics import QueueDepthCollector

bp = Blueprint("health", __name__)


def _warn(dependency: str, error: Exception) -> None:
    # The exception's class only: its message may hold a connection URL with a password.
    fields = {"dependency": dependency, "exception": type(error).__name__}
    get_logger().warning("health check failed", extra={"fields": fields})


def database_status() -> str:
    """"ok" when the database answers SELECT 1, else "unavailable"."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from shared.db import get_engine

    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        _warn("database", error)
        return "unavailable"
    return "ok"


def redis_status() -> str:
    """"not_configured" without REDIS_URL, "ok" when Redis answers PING, else "unavailable"."""
    url = get_settings().redis_url
    if not url:
        return "not_configured"
    import redis

    from shared.redisconn import client_options

    # REDIS_TIMEOUT_MS bounds how long a dead Redis can hold the check; the database's bound is shared.db's.
    client = redis.Redis.from_url(url, **client_options(get_settings()))
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        _warn("redis", error)
        return "unavailable"
    finally:
        client.close()
    return "ok"


@bp.get("/health")
def health():
    """Report whether the database and Redis answer: 200 when all do, 503 problem otherwise."""
    checks = {"database": database_status(), "redis": redis_status()}
    if "unavailable" in checks.values():
        down = ", ".join(name for name, status in checks.items() if status == "unavailable")
        return problem(503, "service-unavailable", "Service Unavailable", f"Unavailable: {down}.",
                       headers={"Retry-After": "5"}, extensions=checks)
    return {"status": "ok", **checks}


@bp.get("/health/ping")
@require_professional
def ping():
    """Answer an authenticated SELECT 1: the fixed cost of every request, the benchmarks' floor."""
    from sqlalchemy import text

    from shared.db import unit_of_work

    with unit_of_work() as uow:
        uow.session.execute(text("SELECT 1"))
    return {"status": "ok"}


app = create_app("health", bp)
# Every function serves GET /metrics (shared.http.metrics); the root /metrics is this one's, so it also
# reports the notification backlog, counted when scraped.
add_collector(app, QueueDepthCollector())
