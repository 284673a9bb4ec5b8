"""Engine, sessions and the unit of work that owns every commit and rollback."""

from __future__ import annotations

import threading
from typing import Self

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from shared.config import get_settings
from shared.notifications import dispatch

_lock = threading.Lock()
_engine: Engine | None = None
_session_factory: sessionmaker[Session] | None = None
# The DBAPI connections this process has checked out of the pool, for cancel_running_statements().
_in_use: set = set()


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with settings that suit short requests behind PgBouncer."""
    connect_args = {"connect_timeout": 5, "prepare_threshold": None}
    connect_args.update(kwargs.pop("connect_args", {}))
    return create_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,  # bound values (emails, notes) never reach exception messages or logs
        pool_size=kwargs.pop("pool_size", 5),
        max_overflow=kwargs.pop("max_overflow", 10),
        connect_args=connect_args,
        **kwargs,
    )


def get_engine() -> Engine:
    """The process-wide engine, built from settings on first use."""
    global _engine, _session_factory
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = make_engine(get_settings().database_url)
                event.listen(_engine, "checkout", lambda dbapi, record, proxy: _in_use.add(dbapi))
                event.listen(_engine, "checkin", lambda dbapi, record: _in_use.discard(dbapi))
                _session_factory = sessionmaker(_engine, expire_on_commit=False)
                # Notification rows written in a transaction reach the queue only once it commits.
                dispatch.install(_session_factory)
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


class UnitOfWork:
    """One transaction: `with unit_of_work() as uow: ...; uow.commit()`; leaving without commit rolls back."""

    def __init__(self, session_factory: sessionmaker[Session] | None = None):
        self._factory = session_factory
        self.session: Session
        self.committed = False

    def __enter__(self) -> Self:
        factory = self._factory
        if factory is None:
            get_engine()
            factory = _session_factory
        self.session = factory()
        self.committed = False
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()
        self.committed = True

    def rollback(self) -> None:
        self.session.rollback()


def unit_of_work() -> UnitOfWork:
    """A unit of work on the process-wide engine."""
    return UnitOfWork()
