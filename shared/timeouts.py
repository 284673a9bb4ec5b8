"""The request deadline's margin, in a module light enough for gunicorn's master to import.

A request still running after REQUEST_TIMEOUT_SECONDS is answered 503 (shared.http.deadline); gunicorn's
timeout sits WORKER_TIMEOUT_MARGIN_SECONDS above it (shared.gunicorn_conf). stack.yml sets the deadline
for every function; unset (tests, `make run`), there is none and gunicorn keeps its own default. README,
"Timeouts", has the whole ladder.
"""

import re

WORKER_TIMEOUT_MARGIN_SECONDS = 2
_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_GO_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def request_timeout_seconds(raw: str | None) -> int | None:
    """REQUEST_TIMEOUT_SECONDS as a number of seconds (1-300), or None when unset."""
    if raw is None or raw.strip() == "":
        return None
    seconds = int(raw)
    if not 1 <= seconds <= 300:
        raise ValueError(f"REQUEST_TIMEOUT_SECONDS must be between 1 and 300, got {seconds}")
    return seconds


def go_duration(value: object) -> float:
    """Seconds in a Go duration ("12s", "1m30s", "500ms") or a bare number of seconds, as of-watchdog and
    faasd read their timeouts; ValueError for anything else."""
    text = str(value).strip()
    if text.isdigit():
        return float(text)
    parts = _GO_DURATION.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"not a duration: {value!r}")
    return sum(float(number) * _GO_UNIT_SECONDS[unit] for number, unit in parts)
