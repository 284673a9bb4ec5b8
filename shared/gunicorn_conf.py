"""gunicorn settings and hooks for every Agenda process tree: timeout, control socket, shared metrics.

Load with `gunicorn --config python:shared.gunicorn_conf ...` (the function image does, through
GUNICORN_CMD_ARGS). With PROMETHEUS_MULTIPROC_DIR set, each worker writes its counters to files in that
directory and GET /metrics adds them up, whichever worker answers the scrape.

gunicorn's `timeout` sits one step above the request deadline (REQUEST_TIMEOUT_SECONDS, which answers
503 itself), so gunicorn kills a worker only when its interpreter is stuck; see README, "Timeouts".
Options given on the command line or in GUNICORN_CMD_ARGS win over the values here.
"""

from __future__ import annotations

import os
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def worker_timeout(environ: dict[str, str] | None = None) -> int | None:
    """gunicorn's timeout for REQUEST_TIMEOUT_SECONDS; None (gunicorn's default) when that is unset."""
    from shared.timeouts import WORKER_TIMEOUT_MARGIN_SECONDS, request_timeout_seconds

    environ = os.environ if environ is None else environ
    seconds = request_timeout_seconds(environ.get("REQUEST_TIMEOUT_SECONDS"))
    return None if seconds is None else seconds + WORKER_TIMEOUT_MARGIN_SECONDS


if worker_timeout() is not None:
    timeout = worker_timeout()
# No control socket: it would be created under $HOME, which a read-only root filesystem refuses.
control_socket_disable = True


def on_starting(server) -> None:
    """Before the first worker: create the metrics directory and drop a previous run's files.

    Old files would be added to the new run's counts; only *.db files are removed, so a mistyped path
    cannot lose anything else.
    """
    path = os.environ.get(MULTIPROC_ENV)
    if not path:
        return
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    """A worker ended: its live gauges no longer count (its counters do, and stay)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
