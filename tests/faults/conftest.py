"""Servers a fault test owns and breaks: its own redis-server, and the local gateway under gunicorn.

Nothing here touches the suite's shared PostgreSQL or Redis: a test stops, hangs (SIGSTOP) and restarts
only the processes it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from shared.localdev.run import gateway_command
from tests.benchmarks.harness import free_port, stop
from tests.conftest import REPO

# Only a bound on waiting for a server to come up, never an assertion about speed.
STARTUP_SECONDS = 60


def wait_until(condition, what: str, process: subprocess.Popen | None = None) -> None:
    """Poll `condition` until true; fail if `process` exits or it never happens."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while not condition():
        if process is not None and process.poll() is not None:
            pytest.fail(f"{what}: the process exited with {process.returncode}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@dataclass
class RedisServer:
    """A redis-server of the test's own on a free port: stop(), hang() (SIGSTOP), resume(), start()."""

    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.answers, "redis-server", self.process)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def hang(self) -> None:
        """Stopped, not closed: connections stay open and nothing answers."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(30)
        self.process = None

    def keys(self, pattern: str = "*") -> list[bytes]:
        import redis

        return redis.Redis.from_url(self.url).keys(pattern)


@pytest.fixture
def redis_server(tmp_path):
    """A running redis-server of this test's own; stopped (and resumed first if hung) afterwards."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@dataclass
class GatewayServer:
    """`make run`'s gunicorn serving the gateway on a free port, with settings of the test's choosing."""

    env: dict[str, str]
    log: Path
    options: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, **self.env,
               "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))}
        env["PROMETHEUS_MULTIPROC_DIR"] = str(self.log.with_suffix(".prometheus"))  # both workers' counts
        env.pop("GUNICORN_CMD_ARGS", None)
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                gateway_command(f"127.0.0.1:{self.port}", "--no-control-socket", "--graceful-timeout", "2",
                                *self.options),
                cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
        wait_until(self._up, "the gateway", self.process)

    def _up(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=5).status_code in (200, 503)
        except httpx.TransportError:
            return False

    def client(self, **kwargs) -> httpx.Client:
        # The timeout only stops a broken test from hanging; the server's own limits are what is tested.
        return httpx.Client(base_url=self.url, timeout=kwargs.pop("timeout", 60), **kwargs)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


@pytest.fixture(scope="module")
def gateway_server(tmp_path_factory):
    """Start the gateway under gunicorn: gateway_server(env={...}); stopped when the module is done."""
    started: list[GatewayServer] = []
    logs = tmp_path_factory.mktemp("gateway")

    def start(env: dict[str, str], options: tuple[str, ...] = ()) -> GatewayServer:
        server = GatewayServer(env=env, log=logs / f"gunicorn-{len(started)}.log", options=options)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@dataclass
class OwnPostgres:
    """An embedded PostgreSQL 18 of the test session's own, which a test may lock, slow down or stop."""

    server: object  # shared.localdev.embedded_pg.EmbeddedPostgres

    def url(self, database: str) -> str:
        return self.server.ensure_database(database)

    def libpq_url(self, database: str) -> str:
        return self.url(database).replace("postgresql+psycopg://", "postgresql://", 1)

    def _processes(self):
        import psutil

        postmaster = psutil.Process(self.server.postmaster_pid())
        return [postmaster, *postmaster.children(recursive=True)]

    def hang(self) -> None:
        """SIGSTOP the postmaster and every backend: connections stay open, nothing answers."""
        for process in self._processes():
            process.suspend()

    def resume(self) -> None:
        for process in self._processes():
            process.resume()


@pytest.fixture(scope="session")
def own_postgres():
    from shared.localdev.embedded_pg import EmbeddedPostgres

    # Not under pytest's private (0700) temporary directory: as root, the server runs as its own user.
    workdir = Path(tempfile.mkdtemp(prefix="agenda-own-postgres-"))
    server = EmbeddedPostgres(workdir / "data")
    yield OwnPostgres(server)
    server.release()
    shutil.rmtree(workdir, ignore_errors=True)
