"""Metrics under a real gunicorn with two workers: whichever worker answers the scrape, it reports the
requests both served (Prometheus multiprocess mode, set up by shared.gunicorn_conf)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.ops.promtext import sample

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
STARTUP_LIMIT_SECONDS = 60
REQUESTS_WHILE_HELD = 7


def wait_for(condition, what: str, process: subprocess.Popen) -> None:
    """Poll `condition` until true; fail if gunicorn exits or it never happens (a liveness bound only)."""
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited ({process.returncode}) waiting for {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def server(tmp_path):
    """gunicorn with 2 sync workers serving tests/ops/metrics_probe.py on a unix socket."""
    socket = tmp_path / "gunicorn.sock"
    multiproc = tmp_path / "prometheus"
    probe = tmp_path / "probe"
    probe.mkdir()
    multiproc.mkdir()
    (multiproc / "counter_1.db").write_bytes(b"stale")  # a previous run's file: must not be counted
    env = {**os.environ, "PYTHONPATH": str(REPO), "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
           "METRICS_PROBE_DIR": str(probe)}
    env.pop("GUNICORN_CMD_ARGS", None)
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [GUNICORN, "--config", "python:shared.gunicorn_conf", "--workers", "2", "--worker-class", "sync",
         "--bind", f"unix:{socket}", "tests.ops.metrics_probe:app"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    client = httpx.Client(transport=httpx.HTTPTransport(uds=str(socket)), base_url="http://probe", timeout=60)

    def answers() -> bool:
        try:
            return client.get("/pid").status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(answers, "the first worker", process)
        yield {"client": client, "probe": probe, "multiproc": multiproc, "process": process}
    finally:
        (probe / "release").touch()
        client.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_counts_add_up_across_two_workers(server, metrics_headers):
    client, probe, process = server["client"], server["probe"], server["process"]
    before = client.get("/metrics", headers=metrics_headers).text
    pings_before = sample(before, "agenda_http_requests_total", function="probe", route="/pid", status="200")
    assert pings_before >= 1  # the readiness check's request, already counted

    # Hold one worker busy: every request until it is released must be answered by the other one.
    held: dict[str, int] = {}
    holder = threading.Thread(target=lambda: held.update(client.get("/hold").json()))
    holder.start()
    wait_for(lambda: (probe / "held").exists(), "the held worker", process)
    other_pids = {client.get("/pid").json()["pid"] for _ in range(REQUESTS_WHILE_HELD)}
    (probe / "release").touch()
    holder.join(timeout=60)

    assert len(other_pids) == 1
    assert held["pid"] not in other_pids  # two different workers answered
    # One scrape, answered by either worker, holds what both served: 1 hold on one, 7 + 1 pings on the other.
    text = client.get("/metrics", headers=metrics_headers).text
    labels = {"function": "probe", "status": "200"}
    assert sample(text, "agenda_http_requests_total", route="/hold", **labels) == 1
    pings = sample(text, "agenda_http_requests_total", route="/pid", **labels)
    assert pings == pings_before + REQUESTS_WHILE_HELD
    assert sample(text, "agenda_http_requests_total", route="/metrics", **labels) == 1
    assert sample(text, "agenda_http_request_duration_seconds_count", function="probe", route="/hold") == 1
    # Each worker wrote its own file; the previous run's file was cleared when gunicorn started.
    files = {path.name for path in server["multiproc"].glob("counter_*.db")}
    assert {f"counter_{held['pid']}.db", f"counter_{other_pids.pop()}.db"} <= files
    assert "counter_1.db" not in files
