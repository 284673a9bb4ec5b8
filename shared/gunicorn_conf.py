"""gunicorn hooks for every Agenda process tree: metrics shared by all workers (Prometheus multiprocess mode).

Load with `gunicorn --config python:shared.gunicorn_conf ...` (the function image does, through
GUNICORN_CMD_ARGS). With PROMETHEUS_MULTIPROC_DIR set, each worker writes its counters to files in that
directory and GET /metrics adds them up, whichever worker answers the scrape.
"""

from __future__ import annotations

import os
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


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
