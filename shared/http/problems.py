"""Every error becomes an RFC 9457 problem document; this module is the one map from exceptions to HTTP."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, g
from marshmallow import ValidationError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from shared import errors
from shared.http.logs import get_logger
from shared.http.parsing import flatten_messages
from shared.secretbox import EncryptionKeyError

# Every problem `type` is PROBLEM_BASE + a slug below; "about:blank" is never used.
PROBLEM_BASE = "https://agenda.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class Kind:
    """How a class of error looks over HTTP: status, slug of its `type` URI, title, default detail."""

    status: int
    slug: str
    title: str
    detail: str


BAD_REQUEST = Kind(400, "bad-request", "Bad Request", "The request cannot be understood.")
UNAUTHENTICATED = Kind(401, "unauthenticated", "Unauthorized", "A valid access token is required.")
FORBIDDEN = Kind(403, "forbidden", "Forbidden", "Your role does not allow this.")
NOT_FOUND = Kind(404, "not-found", "Not Found", "The resource does not exist.")
METHOD_NOT_ALLOWED = Kind(405, "method-not-allowed", "Method Not Allowed",
                          "This method is not allowed on this resource.")
CONFLICT = Kind(409, "conflict", "Conflict", "The request conflicts with the current state.")
GONE = Kind(410, "gone", "Gone", "This link or token is no longer valid.")
TOO_LARGE = Kind(413, "payload-too-large", "Content Too Large", "The request body is too large.")
UNSUPPORTED = Kind(415, "unsupported-media-type", "Unsupported Media Type",
                   "Send a JSON body with Content-Type: application/json.")
VALIDATION = Kind(422, "validation-failed", "Unprocessable Content", "The request has invalid fields.")
RATE_LIMITED = Kind(429, "rate-limited", "Too Many Requests", "Too many requests.")
INTERNAL = Kind(500, "internal-error", "Internal Server Error",
                "An unexpected error occurred; quote the request id when reporting it.")
# The operator's doing, never the client's: the configured keys do not open what the database holds.
ENCRYPTION_KEY = Kind(500, "encryption-key", "Internal Server Error",
                      "Stored data cannot be decrypted with the configured encryption keys; the operator "
                      "must check ENCRYPTION_KEY and ENCRYPTION_PREVIOUS_KEYS.")
UNAVAILABLE = Kind(503, "service-unavailable", "Service Unavailable",
                   "A service this request needs is not reachable; try again shortly.")

BY_STATUS: dict[int, Kind] = {kind.status: kind for kind in (
    BAD_REQUEST, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, METHOD_NOT_ALLOWED, CONFLICT, GONE, TOO_LARGE,
    UNSUPPORTED, VALIDATION, RATE_LIMITED, INTERNAL, UNAVAILABLE,
)}

# Exceptions raised on purpose (shared.errors and friends), matched along the exception's MRO.
EXCEPTIONS: dict[type[Exception], Kind] = {
    errors.NotFound: NOT_FOUND,
    errors.Conflict: CONFLICT,
    errors.ValidationFailed: VALIDATION,
    ValidationError: VALIDATION,
    errors.BadRequest: BAD_REQUEST,
    errors.Unauthenticated: UNAUTHENTICATED,
    errors.Forbidden: FORBIDDEN,
    errors.Gone: GONE,
    errors.RateLimited: RATE_LIMITED,
    errors.ServiceUnavailable: UNAVAILABLE,
    PoolTimeout: UNAVAILABLE,  # every pooled connection busy
}

# Database errors by SQLSTATE: what a client can cause is never a 500. A foreign-key violation (23503)
# means a referenced row vanished concurrently or a row is still referenced: a state conflict (409).
# "Absent or another tenant's" 404s are decided by the service before it writes.
SQLSTATES: dict[str, Kind] = {
    "23P01": Kind(409, "overlap", "Conflict", "The time overlaps another appointment."),
    "23505": Kind(409, "duplicate", "Conflict", "A record with the same unique values already exists."),
    "23503": Kind(409, "conflict", "Conflict", "A related record does not exist or is still in use."),
    "23514": Kind(422, "validation-failed", "Unprocessable Content", "A value breaks a data rule."),
    "23502": Kind(422, "validation-failed", "Unprocessable Content", "A required value is missing."),
    "40001": Kind(409, "conflict", "Conflict", "A concurrent change got in the way; retry the request."),
    "40P01": Kind(409, "conflict", "Conflict", "A concurrent change got in the way; retry the request."),
    "57014": UNAVAILABLE,  # statement timeout
    "55P03": UNAVAILABLE,  # lock timeout: another transaction holds what this one needs
}
# By SQLSTATE class (its first two characters) when the exact code is not listed above.
SQLSTATE_CLASSES: dict[str, Kind] = {
    "22": Kind(422, "validation-failed", "Unprocessable Content", "A value is malformed or out of range."),
    "23": CONFLICT,
    "08": UNAVAILABLE,  # connection exception
    "53": UNAVAILABLE,  # insufficient resources (too many connections)
    "57": UNAVAILABLE,  # operator intervention (server shutting down)
}


def problem(status: int, slug: str, title: str, detail: str, *, field_errors: dict | None = None,
            headers: dict[str, str] | None = None, extensions: dict[str, Any] | None = None) -> Response:
    """A problem+json response; `extensions` become extra members of the body."""
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    if field_errors:
        body["errors"] = field_errors
    for key, value in (extensions or {}).items():
        body.setdefault(key, value)
    body["request_id"] = g.get("request_id")
    g.problem = slug
    response = Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                        mimetype=PROBLEM_MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def kind_problem(kind: Kind, detail: str | None = None, **kwargs: Any) -> Response:
    """A problem response for one of the kinds above."""
    headers = dict(kwargs.pop("headers", None) or {})
    if kind.status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    if kind.status == 503:
        headers.setdefault("Retry-After", "5")
    return problem(kind.status, kind.slug, kind.title, detail or kind.detail, headers=headers, **kwargs)


def _raised(exc: Exception, kind: Kind) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    field_errors = None
    if isinstance(exc, errors.ValidationFailed):
        field_errors = flatten_messages(exc.errors)
    elif isinstance(exc, ValidationError):
        field_errors = flatten_messages(exc.messages)
    extra = dict(getattr(exc, "extra", None) or {})
    # Conflict("...", slug="overlap") lets the service's own check share the database's problem type.
    slug = extra.pop("slug", kind.slug)
    detail = exc.detail if isinstance(exc, errors.AgendaError) else ""
    return kind_problem(Kind(kind.status, slug, kind.title, kind.detail), detail or None,
                        field_errors=field_errors, headers=headers, extensions=extra)


def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status == 500:
        return _unexpected(getattr(exc, "original_exception", None) or exc)
    kind = BY_STATUS.get(status) or Kind(status, exc.name.lower().replace(" ", "-"), exc.name, exc.name + ".")
    # Keep a description the raiser chose; replace werkzeug's generic defaults with ours.
    detail = exc.description if exc.description != type(exc).description else None
    headers = {}
    valid_methods = getattr(exc, "valid_methods", None)
    if valid_methods:
        headers["Allow"] = ", ".join(sorted(valid_methods))
    return kind_problem(kind, detail, headers=headers)


def _database(exc: DBAPIError) -> Response | None:
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    kind = SQLSTATES.get(sqlstate) or SQLSTATE_CLASSES.get(sqlstate[:2])
    if kind is None and isinstance(exc, IntegrityError):
        kind = CONFLICT
    if kind is None and isinstance(exc, DataError) and not sqlstate:
        # Refused by the driver before reaching the server, e.g. a NUL character in a text value.
        kind = SQLSTATE_CLASSES["22"]
    if kind is None and (exc.connection_invalidated or (isinstance(exc, OperationalError) and not sqlstate)):
        kind = UNAVAILABLE  # could not connect, or the connection dropped
    if kind is None:
        return None
    if kind.status >= 500:
        get_logger().warning("database unavailable", extra={"fields": {
            "request_id": g.get("request_id"), "exception": type(exc).__name__, "sqlstate": sqlstate or None,
        }})
    # A statement cancelled at the request's deadline (shared.http.deadline) says so.
    return kind_problem(kind, g.get("deadline_expired") if sqlstate == "57014" else None)


def _unexpected(exc: BaseException) -> Response:
    get_logger().error("unhandled exception", exc_info=exc, extra={"fields": {
        "request_id": g.get("request_id"), "exception": type(exc).__name__,
    }})
    return kind_problem(INTERNAL)


def handle_exception(exc: Exception) -> Response:
    """Flask error handler for every exception: raised-on-purpose table, HTTP, database, else 500."""
    for cls in type(exc).__mro__:
        kind = EXCEPTIONS.get(cls)
        if kind is not None:
            return _raised(exc, kind)
    if isinstance(exc, EncryptionKeyError):
        # The message names the key id, never a value.
        get_logger().error("encryption key error", extra={"fields": {
            "request_id": g.get("request_id"), "error": str(exc),
        }})
        return kind_problem(ENCRYPTION_KEY)
    if isinstance(exc, HTTPException):
        return _http(exc)
    if isinstance(exc, DBAPIError):
        response = _database(exc)
        if response is not None:
            return response
    return _unexpected(exc)
