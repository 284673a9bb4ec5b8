"""The request deadline's default, in a module light enough for gunicorn's master to import.

A request still running after REQUEST_TIMEOUT_SECONDS is answered 503 (shared.http.deadline); gunicorn's
timeout sits WORKER_TIMEOUT_MARGIN_SECONDS above it (shared.gunicorn_conf). README, "Timeouts", has the
whole ladder.
"""

DEFAULT_REQUEST_TIMEOUT_SECONDS = 8
WORKER_TIMEOUT_MARGIN_SECONDS = 2
