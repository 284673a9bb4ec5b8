"""Structured JSON log lines on stderr: one per request, plus unexpected errors with their traceback."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import traceback

LOGGER_NAME = "agenda.http"


class JsonFormatter(logging.Formatter):
    """One JSON object per line; a record's `fields` extra is merged in, an exception becomes `traceback`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[1] is not None:
            entry["traceback"] = safe_traceback(record.exc_info[1])
        return json.dumps(entry, default=str, separators=(",", ":"), ensure_ascii=False)


def safe_traceback(exc: BaseException) -> str:
    """The traceback chain; database errors show their SQLSTATE, not messages carrying parameters."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\n\nThe above led to:\n\n".join(_one_traceback(item) for item in reversed(chain))


def _one_traceback(exc: BaseException) -> str:
    frames = "".join(traceback.format_tb(exc.__traceback__))
    module = type(exc).__module__
    if module.startswith(("sqlalchemy", "psycopg")):
        orig = getattr(exc, "orig", exc)
        message = f"SQLSTATE {getattr(orig, 'sqlstate', None)}"
    else:
        message = str(exc)
    return f"Traceback (most recent call last):\n{frames}{module}.{type(exc).__qualname__}: {message}"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record is emitted (test capture, gunicorn redirection)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def get_logger() -> logging.Logger:
    """The HTTP layer's logger, given its JSON-to-stderr handler on first use."""
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        # Its own handler writes the line; passing it up would print it twice under a configured root.
        logger.propagate = False
    return logger
