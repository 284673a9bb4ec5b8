"""The request deadline's margin, in a module light enough for gunicorn's master to import.

A request still running after REQUEST_TIMEOUT_SECONDS is answered 503 (shared.http.deadline); gunicorn's
timeout sits WORKER_TIMEOUT_MARGIN_SECONDS above it (shared.gunicorn_conf). stack.yml sets the deadline
for every function; unset (tests, `make run`), there is none and gunicorn keeps its own default. README,
"Timeouts", has the whole ladder.
"""

WORKER_TIMEOUT_MARGIN_SECONDS = 2


def request_timeout_seconds(raw: str | None) -> int | None:
    """REQUEST_TIMEOUT_SECONDS as a number of seconds (1-300), or None when unset."""
    if raw is None or raw.strip() == "":
        return None
    seconds = int(raw)
    if not 1 <= seconds <= 300:
        raise ValueError(f"REQUEST_TIMEOUT_SECONDS must be between 1 and 300, got {seconds}")
    return seconds
