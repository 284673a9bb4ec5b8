"""The server the benchmarks measure: the local gateway, with one rate limit raised (not removed).

gunicorn loads `tests.benchmarks.server:create_gateway()`. Everything is the local gateway of `make run`
except the public booking page's per-professional limit (60 a minute): the contention case sends 100
bookings to one page within a second, and must reach the database's overlap guard rather than be
turned away with 429. The limiter still runs (a Redis round trip per booking, as in production); the
per-address limits are untouched, since every request comes from its own address.
"""

from __future__ import annotations

import os

PER_PAGE_LIMIT_ENV = "BENCH_BOOKING_RATE_PER_SLUG"
PER_PAGE_LIMIT_NAME = "BOOKING_RATE_PER_SLUG"


def create_gateway():
    from functions.public import booking
    from shared.localdev.gateway import create_gateway as local_gateway

    raised = os.environ.get(PER_PAGE_LIMIT_ENV)
    if raised:
        if not hasattr(booking, PER_PAGE_LIMIT_NAME):
            raise RuntimeError(f"functions.public.booking has no {PER_PAGE_LIMIT_NAME} to raise")
        setattr(booking, PER_PAGE_LIMIT_NAME, raised)
    return local_gateway()


def bare_app(environ, start_response):
    """The cold-start baseline: what the interpreter, gunicorn and its fork cost before any of Agenda."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
