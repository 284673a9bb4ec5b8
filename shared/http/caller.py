"""Who is calling: the client's address (as far as trusted proxies vouch for it) and the request id."""

from __future__ import annotations

from flask import g, request

from shared import ratelimit


def client_address() -> str:
    """The client's IP address, for rate limits and the audit trail."""
    return ratelimit.client_ip(request.remote_addr, request.headers.get("X-Forwarded-For"))


def current_request_id() -> str | None:
    """This request's id, as echoed in X-Request-ID."""
    return g.get("request_id")
