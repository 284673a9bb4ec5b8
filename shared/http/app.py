"""create_app(): a function's Flask app with request ids, JSON logs, security headers, CORS, body limit."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import re
import time
import uuid
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from flask.json.provider import DefaultJSONProvider

from shared import errors
from shared.http import deadline
from shared.http import metrics as http_metrics
from shared.http.logs import get_logger
from shared.http.parsing import too_large
from shared.http.problems import FORBIDDEN, handle_exception, kind_problem

REQUEST_ID_HEADER = "X-Request-ID"
# of-watchdog's ready_path (template/python3-agenda/Dockerfile): answered once the app is loaded.
READY_PATH = "/_/ready"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "frame-ancestors 'none'; default-src 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}
CORS_ALLOW_HEADERS = "Authorization, Content-Type, X-Request-ID"
CORS_EXPOSE_HEADERS = "X-Request-ID, Location, Retry-After, WWW-Authenticate"
CORS_MAX_AGE = "600"


class JSONProvider(DefaultJSONProvider):
    """JSON with RFC 3339 datetimes, ISO dates/times and decimals as strings; keys keep schema order."""

    sort_keys = False
    ensure_ascii = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, (dt.datetime, dt.date, dt.time)):
            return o.isoformat()
        if isinstance(o, decimal.Decimal):
            return str(o)
        if isinstance(o, uuid.UUID):
            return str(o)
        if isinstance(o, enum.Enum):
            return o.value
        raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _settings() -> Any:
    settings = current_app.extensions["agenda"]["settings"]
    if settings is not None:
        return settings
    from shared.config import get_settings

    return get_settings()


def _begin() -> Response | None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()
    g.principal = None
    deadline.start(getattr(_settings(), "request_timeout_seconds", None))
    limit = g.body_limit = _settings().max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise too_large(limit)
    # Werkzeug stops a streamed (chunked) body at max_content_length without complaint; one byte of
    # headroom lets body_bytes() tell "exactly at the limit" from "over it".
    request.max_content_length = limit if request.content_length is not None else limit + 1
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        return _preflight()
    if "\x00" in request.path:
        # No resource's path holds a NUL character, and the database would refuse to look one up.
        raise errors.NotFound("No resource has a NUL character in its path.")
    return None


def _preflight() -> Response | None:
    if request.routing_exception is not None:
        return None  # unknown path: the usual 404
    origin = request.headers.get("Origin")
    if origin is None or origin not in _settings().cors_origins:
        return kind_problem(FORBIDDEN, "This origin may not call the API.")
    adapter = current_app.url_map.bind_to_environ(request.environ)
    methods = sorted(set(adapter.allowed_methods()) - {"HEAD", "OPTIONS"})
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
    response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
    response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
    return response


def _finish(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    if response.status_code == 204:
        response.headers.pop("Content-Type", None)
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin is not None and origin in _settings().cors_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
    _log(response, request_id)
    return response


def _log(response: Response, request_id: str) -> None:
    # Only these fields, never headers or bodies: no passwords, tokens or client notes reach the log.
    fields: dict[str, Any] = {
        "request_id": request_id,
        "function": current_app.extensions["agenda"]["function"],
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule is not None else None,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
    }
    principal = g.get("principal")
    if principal is not None:
        fields["user_id"] = principal.user_id
        fields["professional_id"] = principal.professional_id
    if g.get("problem"):
        fields["problem"] = g.problem
    level = "error" if response.status_code >= 500 else "info"
    getattr(get_logger(), level)("request", extra={"fields": fields})


def _ready() -> Response:
    """The app is loaded and serving: of-watchdog may report the function ready (it wants a 200)."""
    return Response("ready\n", mimetype="text/plain")


def create_app(name: str, *blueprints: Blueprint, settings: Any = None) -> Flask:
    """A Flask app for the function `name` with the given blueprints.

    `settings` (anything with cors_origins and max_body_bytes) overrides shared.config.get_settings(),
    which is otherwise read, and so validated, right here at start-up and then on each request.
    """
    if settings is None:
        from shared.config import get_settings

        get_settings()
    app = Flask(f"agenda.{name}", static_folder=None)
    app.json = JSONProvider(app)
    app.extensions["agenda"] = {"function": name, "settings": settings}
    # Metrics (request counts, latency, GET /metrics): first, so they time and see everything below.
    http_metrics.instrument(app, name)
    app.before_request(_begin)
    app.after_request(_finish)
    app.teardown_request(deadline.stop)
    app.register_error_handler(Exception, handle_exception)
    app.add_url_rule(READY_PATH, endpoint="agenda_ready", view_func=_ready, methods=["GET"])
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app
