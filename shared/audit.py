"""Audit trail: one row per security- or business-relevant change, written in the same transaction."""

from __future__ import annotations

from typing import Any

from shared.models import AuditLog

# Never stored in metadata, whatever the caller passes.
_SECRET_KEYS = {"password", "token", "refresh_token", "access_token", "password_hash", "secret", "notes"}


def record(session, *, action: str, actor_user_id: int | None = None, professional_id: int | None = None,
           entity_type: str | None = None, entity_id: int | None = None, ip_address: str | None = None,
           request_id: str | None = None, metadata: dict[str, Any] | None = None) -> AuditLog:
    """Add an audit row to the session (the caller's unit of work commits it)."""
    row = AuditLog(action=action, user_id=actor_user_id, professional_id=professional_id,
                   entity_type=entity_type, entity_id=entity_id, ip_address=ip_address,
                   request_id=request_id, metadata_=_clean(metadata))
    session.add(row)
    return row


def row_values(*, action: str, actor_user_id: int | None = None, professional_id: int | None = None,
               entity_type: str | None = None, entity_id: int | None = None, ip_address: str | None = None,
               request_id: str | None = None, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """The same row as record() writes, as column values for a core INSERT into audit_logs (a caller
    that writes several rows in one statement, to save round trips)."""
    return {"action": action, "user_id": actor_user_id, "professional_id": professional_id,
            "entity_type": entity_type, "entity_id": entity_id, "ip_address": ip_address,
            "request_id": request_id, "metadata": _clean(metadata)}


def _clean(metadata: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (metadata or {}).items() if k.lower() not in _SECRET_KEYS}
