"""`make run`: database, migrations, demo data and the local gateway on 127.0.0.1:8080, until Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from shared.localdev.embedded_pg import DEFAULT_DATA_DIR, REPO_ROOT, EmbeddedPostgres

ADDRESS = "127.0.0.1:8080"
DATA_DIR = REPO_ROOT / ".data"
# Development-only values; every one of them can be overridden from the shell.
DEV_ENV = {
    "AGENDA_ENV": "development",
    "JWT_SECRET": "development-only-jwt-secret-never-use-in-production",
    "LINK_SECRET": "development-only-link-secret-never-use-in-production",
    # base64 of "development-only-key-never-prod!": private notes in .data/pg stay readable across runs.
    "ENCRYPTION_KEY": "ZGV2ZWxvcG1lbnQtb25seS1rZXktbmV2ZXItcHJvZCE=",
    "PUBLIC_BASE_URL": f"http://{ADDRESS}",
    "EMAIL_BACKEND": "file",
    "EMAIL_DIR": str(DATA_DIR / "outbox"),
    "HUEY_SQLITE_PATH": str(DATA_DIR / "huey.sqlite3"),
    "PROMETHEUS_MULTIPROC_DIR": str(DATA_DIR / "prometheus"),
}


def start_background_workers(env: dict[str, str]) -> list[subprocess.Popen]:
    """The Huey consumer beside the gateway: it sends the outbox and runs the minutely sweeps.

    Without REDIS_URL the queue is the SQLite file HUEY_SQLITE_PATH, shared with the gateway's workers
    through the same environment; with it, Redis, as in production.
    """
    return [subprocess.Popen(
        _python("-m", "huey.bin.huey_consumer", "shared.jobs.main.huey", "--workers", "2",
                "--worker-type", "thread"),
        env=env, cwd=REPO_ROOT)]


def gateway_command(bind: str, *options: str) -> list[str]:
    """gunicorn serving the local gateway on `bind`: threaded workers, so that a client that sends its
    request slowly (or never finishes it) holds one thread of a pool, never a whole worker."""
    return _python("-m", "gunicorn", "--config", "python:shared.gunicorn_conf", "--bind", bind,
                   "--workers", "2", "--worker-class", "gthread", "--threads", "8", *options,
                   "shared.localdev.gateway:create_gateway()")


def _python(*args: str) -> list[str]:
    return [sys.executable, *args]


def _stop(children: list[subprocess.Popen], timeout: float = 10.0) -> None:
    """Ask every child to stop, then kill whichever is still there after `timeout` seconds."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _answers() -> bool:
    """Whether something accepts connections on ADDRESS."""
    host, port = ADDRESS.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


def _listening(server: subprocess.Popen) -> bool:
    """Wait until the gateway accepts connections; False if it exits first."""
    while server.poll() is None:
        if _answers():
            return True
        time.sleep(0.2)
    return False


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    for sig in (signal.SIGINT, signal.SIGTERM):  # also when started with SIGINT ignored (in background)
        signal.signal(sig, _interrupt)
    env = {**DEV_ENV, **{key: value for key, value in os.environ.items() if value}}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO_ROOT), os.environ.get("PYTHONPATH"))))
    DATA_DIR.mkdir(exist_ok=True)
    database: EmbeddedPostgres | None = None
    children: list[subprocess.Popen] = []
    if _answers():
        print(f"{ADDRESS} is already in use (another `make run`?)", file=sys.stderr)
        return 1
    try:
        if not env.get("DATABASE_URL"):
            database = EmbeddedPostgres(DEFAULT_DATA_DIR)
            env["DATABASE_URL"] = database.ensure_database()
            print(f"Embedded PostgreSQL 18 ({DEFAULT_DATA_DIR}): {env['DATABASE_URL']}", flush=True)
        subprocess.run(_python("-m", "alembic", "upgrade", "head"), env=env, cwd=REPO_ROOT, check=True)
        subprocess.run(_python("-m", "shared.localdev.demo"), env=env, cwd=REPO_ROOT, check=True)
        gateway = subprocess.Popen(gateway_command(ADDRESS), env=env, cwd=REPO_ROOT)
        children.append(gateway)
        # Once gunicorn listens, its start-up hook has reset the metrics directory the workers share.
        if not _listening(gateway):
            return gateway.returncode or 1
        children.extend(start_background_workers(env))
        print(f"Agenda on http://{ADDRESS} (try /health); Ctrl-C stops everything.", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return next(child.returncode for child in children if child.returncode is not None) or 1
    except KeyboardInterrupt:
        return 0
    except subprocess.CalledProcessError as error:
        return error.returncode
    finally:
        _stop(children)
        if database is not None:
            database.release()


if __name__ == "__main__":
    sys.exit(main())
