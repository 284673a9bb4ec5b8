"""Engine, sessions and the unit of work that owns every commit and rollback."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Self

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from shared.config import get_settings

_lock = threading.Lock()
_engine: Engine | None = None
_session_factory: sessionmaker[Session] | None = None


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
                _session_factory = sessionmaker(_engine, expire_on_commit=False)
    return _engine


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
