"""Time as the product reads it: aware instants in UTC, shown in a professional's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def utcnow(now: dt.datetime | None = None) -> dt.datetime:
    """`now` (aware) in UTC, or the current time."""
    if now is None:
        return dt.datetime.now(dt.UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(dt.UTC)


def local(moment: dt.datetime | None, timezone: str) -> dt.datetime | None:
    """An instant shown in the given zone (a professional's)."""
    return None if moment is None else moment.astimezone(ZoneInfo(timezone))
