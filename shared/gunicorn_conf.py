"""gunicorn settings and hooks for every Agenda process tree: timeout, control socket, shared metrics,
and a shutdown that outlasts of-watchdog's drain.

Load with `gunicorn --config python:shared.gunicorn_conf ...` (the function image does, through
GUNICORN_CMD_ARGS). With PROMETHEUS_MULTIPROC_DIR set, each worker writes its counters to files in that
directory and GET /metrics adds them up, whichever worker answers the scrape.

gunicorn's `timeout` sits one step above the request deadline (REQUEST_TIMEOUT_SECONDS, which answers
503 itself), so gunicorn kills a worker only when its interpreter is stuck; see README, "Timeouts".
Options given on the command line or in GUNICORN_CMD_ARGS win over the values here.

Shutdown under of-watchdog (0.11.5, pkg/watchdog.go and executor/http_runner.go): on SIGTERM the watchdog
answers 503 on /_/health and /_/ready at once, so the gateway stops routing here, but it keeps accepting
connections for `healthcheck_interval` (default: write_timeout) and then waits up to `write_timeout` for
the requests it accepted; meanwhile it forwards the SIGTERM to gunicorn straight away. gunicorn's own
SIGTERM (close the socket, finish the current request) would leave every request the watchdog still
accepts, or holds queued, without an upstream: an empty 502. So under the watchdog a SIGTERM starts the
drain and gunicorn keeps serving for healthcheck_interval + write_timeout, then stops gracefully; the
container usually ends sooner, when the watchdog exits with nothing left in flight. SIGALRM (the timer)
stops gracefully at once; so does a second SIGTERM. Outside the watchdog SIGTERM behaves as gunicorn's.
"""

from __future__ import annotations

import gc
import math
import os
import signal
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def worker_timeout(environ: dict[str, str] | None = None) -> int | None:
    """gunicorn's timeout for REQUEST_TIMEOUT_SECONDS; None (gunicorn's default) when that is unset."""
    from shared.timeouts import WORKER_TIMEOUT_MARGIN_SECONDS, request_timeout_seconds

    environ = os.environ if environ is None else environ
    seconds = request_timeout_seconds(environ.get("REQUEST_TIMEOUT_SECONDS"))
    return None if seconds is None else seconds + WORKER_TIMEOUT_MARGIN_SECONDS


# of-watchdog's default for read/write timeouts (config/config.go), a Go duration or whole seconds.
WATCHDOG_DEFAULT_TIMEOUT_SECONDS = 10.0


def watchdog_duration(raw: str | None, default: float) -> float:
    """Seconds in an of-watchdog duration setting ("14s", "1m30s", or a whole number of seconds); the
    default for one unset or unreadable, as the watchdog falls back to its own."""
    from shared.timeouts import go_duration

    try:
        return default if raw is None or raw.strip() == "" else go_duration(raw)
    except ValueError:
        return default


def drain_seconds(environ: dict[str, str] | None = None) -> int:
    """How long gunicorn keeps serving after SIGTERM: 0 outside of-watchdog (no `fprocess` in the
    environment it passes on), else healthcheck_interval + write_timeout, in whole seconds."""
    environ = os.environ if environ is None else environ
    if "fprocess" not in environ:
        return 0
    write = watchdog_duration(environ.get("write_timeout"), WATCHDOG_DEFAULT_TIMEOUT_SECONDS)
    accepting = watchdog_duration(environ.get("healthcheck_interval"), write)
    return math.ceil(accepting + write)


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


def when_ready(server) -> None:
    """In the master, once listening: SIGALRM stops gracefully now (gunicorn's own SIGTERM); under
    of-watchdog a first SIGTERM keeps serving for drain_seconds() and then raises that SIGALRM."""
    stop_now = server.handle_term
    server.handle_alrm = stop_now
    signal.signal(signal.SIGALRM, server.signal)
    seconds = drain_seconds()
    if not seconds:
        return

    def drain_then_stop() -> None:
        server.log.info("SIGTERM: serving %s s more while of-watchdog drains its connections, then stopping",
                        seconds)
        server.handle_term = stop_now  # a second SIGTERM does not wait
        signal.alarm(seconds)

    server.handle_term = drain_then_stop


def pre_fork(server, worker) -> None:
    """In the master, before a worker is forked: move every object the master holds to the collector's
    permanent generation, so the worker's collections never write to (and so copy) the pages it shares
    with the master (gc.freeze's documented use; about 1.5 MiB per container, make bench case 8)."""
    gc.collect()
    gc.freeze()


def post_fork(server, worker) -> None:
    """A worker keeps SIGALRM's default: only the master drains."""
    signal.signal(signal.SIGALRM, signal.SIG_DFL)


def child_exit(server, worker) -> None:
    """A worker ended: its live gauges no longer count (its counters do, and stay)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
