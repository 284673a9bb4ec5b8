"""Rows as plain JSON-ready dictionaries, every column under its database name."""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect


def plain(value: Any) -> Any:
    """A column value as JSON has it: instants in RFC 3339, decimals as strings, enums by value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID | ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def row_dict(row: Any, *, leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Every mapped column of an ORM row (decrypted where the column is encrypted), by column name."""
    mapper = inspect(row).mapper
    return {attr.columns[0].name: plain(getattr(row, attr.key)) for attr in mapper.column_attrs
            if attr.columns[0].name not in leave_out}
