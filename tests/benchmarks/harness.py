"""What the benchmarks stand on: their own database and Redis database, the server, the load generator."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get("BENCH_ADMIN_DATABASE_URL",
                           os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
DATABASE = "agenda_bench"
# Its own Redis database (flushed before and after): the test suite uses 1-15 by process id, `make run`
# and production use 0.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
# gunicorn's rule of thumb, (2 x cores) + 1 sync workers, for the one server every HTTP case shares.
WORKERS = int(os.environ.get("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1))
# High enough for 100 bookings of one page at once (see tests/benchmarks/server.py).
RAISED_PER_PAGE_LIMIT = "100000/minute"


def database_url(name: str) -> str:
    """The admin URL with its database replaced by `name`, for the psycopg 3 driver."""
    parts = urlsplit(ADMIN_URL.replace("postgresql+psycopg://", "postgresql://", 1))
    return urlunsplit(("postgresql+psycopg", parts.netloc, f"/{name}", parts.query, ""))


def _admin_execute(*statements: str) -> None:
    from sqlalchemy import create_engine, text

    admin_database = urlsplit(ADMIN_URL).path.lstrip("/") or "postgres"
    engine = create_engine(database_url(admin_database), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def create_database() -> str:
    """A fresh, migrated `agenda_bench`; returns its URL."""
    from alembic import command
    from alembic.config import Config

    _admin_execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)', f'CREATE DATABASE "{DATABASE}"')
    url = database_url(DATABASE)
    config = Config(str(REPO / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    return url


def drop_database() -> None:
    from shared.db import reset_engine

    reset_engine()
    _admin_execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def environment(workdir: Path) -> dict[str, str]:
    """The settings of the server and of this process: production-like, on the benchmark's stores."""
    return {
        "AGENDA_ENV": "production",
        "DATABASE_URL": database_url(DATABASE),
        "REDIS_URL": REDIS_URL,
        "RATE_LIMIT_STORAGE_URL": REDIS_URL,
        "HUEY_BACKEND": "redis",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "LINK_SECRET": secrets.token_urlsafe(48),
        "ENCRYPTION_KEY": secrets.token_urlsafe(32),
        "METRICS_TOKEN": secrets.token_urlsafe(24),
        "PUBLIC_BASE_URL": "https://agenda.example",
        "CORS_ORIGINS": "https://app.agenda.example",
        # As in openfaas/stack.yml: the gateway (playing nginx) sets X-Forwarded-For to the peer address.
        "TRUSTED_PROXY_COUNT": "1",
        "MAX_BODY_BYTES": "65536",
        # Functions only write the outbox; no consumer runs, so nothing is sent anywhere.
        "EMAIL_BACKEND": "file",
        "EMAIL_DIR": str(workdir / "outbox"),
        "SECRETS_DIR": str(workdir / "secrets"),  # empty: no secret file of this machine is read
        "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH")))),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(app: str, port: int, workers: int) -> list[str]:
    """gunicorn as the function image runs it (the same config module), on 127.0.0.1:`port`."""
    return [sys.executable, "-m", "gunicorn", "--config", "python:shared.gunicorn_conf",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "60",
            "--graceful-timeout", "5", "--no-control-socket", app]


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a gunicorn started here (SIGINT: quick shutdown), killing it if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Server:
    """The local gateway under gunicorn, started by the benchmark itself."""

    env: dict[str, str]
    workdir: Path
    workers: int = WORKERS
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path = field(init=False)

    def start(self) -> None:
        self.port = free_port()
        self.log_path = self.workdir / "gunicorn.log"
        metrics_dir = self.workdir / "prometheus"
        env = {**os.environ, **self.env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
               "RATE_LIMIT_PUBLIC_BOOKING_PAGE": RAISED_PER_PAGE_LIMIT}
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                gunicorn_command("shared.localdev.gateway:create_gateway()", self.port, self.workers),
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_healthy()

    def _wait_until_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not become healthy:\n{self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self, characters: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


@dataclass(frozen=True)
class PhaseResult:
    label: str
    wall: float
    statuses: list[int]
    latencies: list[float]
    errors: list[str]

    @property
    def throughput(self) -> float:
        return len(self.statuses) / self.wall


class Driver:
    """Runs phases of requests in a separate process (tests/benchmarks/driver.py) and reads the timings."""

    def __init__(self, port: int):
        self.port = port
        self.sources_used = 0

    def run(self, phases: list[dict], timeout: float = 240) -> list[PhaseResult]:
        job = {"port": self.port, "first_source": self.sources_used, "phases": phases}
        self.sources_used += sum(len(phase["requests"]) for phase in phases)
        finished = subprocess.run([sys.executable, "-m", "tests.benchmarks.driver"], input=json.dumps(job),
                                  capture_output=True, text=True, cwd=REPO, timeout=timeout, check=False)
        if finished.returncode != 0:
            raise RuntimeError(f"the load generator failed:\n{finished.stderr[-4000:]}")
        return [PhaseResult(**result) for result in json.loads(finished.stdout)]


def phase(label: str, requests: list[list], concurrency: int = 1, all_at_once: bool = False) -> dict:
    return {"label": label, "requests": requests, "concurrency": concurrency, "all_at_once": all_at_once}


def get(path: str, headers: dict[str, str] | None = None) -> list:
    return ["GET", path, headers or {}, None]


def post(path: str, body: dict | None = None, headers: dict[str, str] | None = None) -> list:
    data = None if body is None else json.dumps(body)
    sent = {**({"Content-Type": "application/json"} if body is not None else {}), **(headers or {})}
    return ["POST", path, sent, data]


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="agenda-bench-"))
