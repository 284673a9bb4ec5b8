"""Engine, sessions and the unit of work that owns every commit and rollback."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Self

import psycopg
from psycopg.errors import _WaitTimeout
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from shared.config import get_settings

_lock = threading.Lock()
_engine: Engine | None = None
_session_factory: sessionmaker[Session] | None = None
# The DBAPI connections this process has checked out of the pool, for cancel_running_statements().
_in_use: set = set()


# A server that stops answering (stopped, overloaded, cut off) is given up on this long after the
# statement timeout should have fired on its side.
UNRESPONSIVE_GRACE_MS = 1000
# Seconds to open a connection (libpq's smallest useful value); a stopped server's listen queue accepts
# the TCP connection and then never answers the start-up message.
CONNECT_TIMEOUT = 2
# The session time zone of every connection ("UTC" exactly: psycopg gives datetime.UTC for it).
SESSION_TIME_ZONE = "UTC"


class BoundedConnection(psycopg.Connection):
    """A psycopg connection that stops waiting for the server after `response_timeout` seconds.

    The server's own statement_timeout and lock_timeout end slow work, but a server that does not run at
    all (SIGSTOP, a hung host whose kernel still acknowledges packets) answers nothing, and libpq would
    wait for ever. Past the bound the connection is closed and the caller gets an OperationalError on a
    closed connection, which SQLAlchemy treats as a disconnect (and shared.http as a 503).
    """

    response_timeout: float | None = None

    def wait(self, gen, interval=0.1, timeout=None):
        try:
            return super().wait(gen, interval, timeout if timeout is not None else self.response_timeout)
        except _WaitTimeout:
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database server did not answer within {self.response_timeout:g} s") from None


def make_engine(url: str, *, statement_timeout_ms: int | None = None, lock_timeout_ms: int | None = None,
                **kwargs) -> Engine:
    """An engine with settings that suit short requests behind PgBouncer.

    Every connection's session time zone is UTC, whatever the server's default: timestamps then arrive
    with Python's own UTC tzinfo, which the slot engine and the views convert from far faster than from
    a zoneinfo such as Etc/UTC (about a tenth of a slots request, make bench case 2), and no SQL reads a
    date in the server's zone. With statement_timeout_ms, every connection runs with that
    statement_timeout (and lock_timeout, when given) and waits for the server at most
    UNRESPONSIVE_GRACE_MS longer.
    """
    connect_args = {"connect_timeout": CONNECT_TIMEOUT, "prepare_threshold": None}
    options = [f"-c TimeZone={SESSION_TIME_ZONE}"]
    if statement_timeout_ms is not None:
        options.append(f"-c statement_timeout={statement_timeout_ms}")
        if lock_timeout_ms is not None:
            options.append(f"-c lock_timeout={lock_timeout_ms}")
    connect_args["options"] = " ".join(options)
    connect_args.update(kwargs.pop("connect_args", {}))
    engine = create_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,  # bound values (emails, notes) never reach exception messages or logs
        pool_size=kwargs.pop("pool_size", 5),
        max_overflow=kwargs.pop("max_overflow", 10),
        connect_args=connect_args,
        **kwargs,
    )
    if statement_timeout_ms is not None:
        response_timeout = (statement_timeout_ms + UNRESPONSIVE_GRACE_MS) / 1000

        @event.listens_for(engine, "do_connect")
        def _bounded(dialect, connection_record, cargs, cparams):
            connection = BoundedConnection.connect(*cargs, **cparams)
            connection.response_timeout = response_timeout
            return connection

    return engine


def get_engine() -> Engine:
    """The process-wide engine, built from settings on first use."""
    global _engine, _session_factory
    if _engine is None:
        with _lock:
            if _engine is None:
                settings = get_settings()
                _engine = make_engine(settings.database_url,
                                      statement_timeout_ms=settings.database_statement_timeout_ms,
                                      lock_timeout_ms=settings.database_lock_timeout_ms)
                event.listen(_engine, "checkout", lambda dbapi, record, proxy: _in_use.add(dbapi))
                event.listen(_engine, "checkin", lambda dbapi, record: _in_use.discard(dbapi))
                _session_factory = sessionmaker(_engine, expire_on_commit=False)
    return _engine


def cancel_running_statements() -> bool:
    """Ask PostgreSQL to cancel what this process's connections are executing; True if one was busy.

    The request deadline (shared.http.deadline) uses it: the statement then fails with SQLSTATE 57014,
    as at the statement timeout, and the connection stays usable.
    """
    from psycopg.pq import TransactionStatus

    busy = False
    for connection in list(_in_use):
        if not connection.closed and connection.info.transaction_status == TransactionStatus.ACTIVE:
            connection.cancel_safe(timeout=2)
            busy = True
    return busy


def reset_engine() -> None:
    """Dispose of the engine so the next use rebuilds it from settings (tests)."""
    global _engine, _session_factory
    with _lock:
        if _engine is not None:
            _engine.dispose()
        _engine = None
        _session_factory = None


AfterCommit = Callable[[list[Any]], object]


class UnitOfWork:
    """One transaction: `with unit_of_work() as uow: ...; uow.commit()`; leaving without commit rolls back.

    after_commit() is the hook for work that must wait until the rows are really stored (handing
    notification ids to the queue): it runs after a successful commit and is forgotten on rollback.
    """

    def __init__(self, session_factory: sessionmaker[Session] | None = None):
        self._factory = session_factory
        self.session: Session
        self.committed = False
        self._after_commit: dict[AfterCommit, list[Any]] = {}

    def __enter__(self) -> Self:
        factory = self._factory
        if factory is None:
            get_engine()
            factory = _session_factory
        self.session = factory()
        self.committed = False
        self._after_commit = {}
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.rollback()
        finally:
            self.session.close()

    def after_commit(self, hook: AfterCommit, *items: Any) -> None:
        """Call hook(items) once this transaction commits: one call per hook with every item given to it
        during the transaction, in order, so a hook can batch (one queue round trip for many ids)."""
        self._after_commit.setdefault(hook, []).extend(items)

    def commit(self) -> None:
        self.session.commit()
        self.committed = True
        hooks, self._after_commit = self._after_commit, {}
        for hook, items in hooks.items():
            hook(items)

    def rollback(self) -> None:
        self._after_commit = {}
        self.session.rollback()


def unit_of_work() -> UnitOfWork:
    """A unit of work on the process-wide engine."""
    return UnitOfWork()
