"""Contract fixtures: the whole gateway served by gunicorn on a free local port, and tenants A and B."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class LiveGateway:
    url: str
    log: Path  # gunicorn's output: request lines and tracebacks

    def traceback(self, request_id: str) -> str:
        """The traceback the gateway logged for a request, or the end of its log."""
        lines = self.log.read_text(errors="replace").splitlines()
        for line in lines:
            if request_id and request_id in line and '"traceback"' in line:
                return json.loads(line)["traceback"]
        return "\n".join(lines[-40:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the gateway did not answer within {STARTUP_SECONDS}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def live_gateway(db_url):
    """The local gateway (every function) in a gunicorn process on the test database."""
    port = _free_port()
    log = Path(tempfile.mkdtemp(prefix="agenda-contract-")) / "gunicorn.log"
    # The suite's environment (tests/conftest.py), as nginx would front it: one trusted proxy hop.
    env = {**os.environ, "TRUSTED_PROXY_COUNT": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "--timeout", "60", "shared.localdev.gateway:create_gateway()"],
            cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield LiveGateway(url, log)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(log.parent, ignore_errors=True)


@pytest.fixture
def world(uow):
    """Tenants A and B with one object of each kind, and an admin, committed."""
    from tests.contract.world import make_world

    built = make_world(uow.session)
    uow.commit()
    return built
