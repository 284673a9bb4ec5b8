"""The systemd units next to faasd: the Huey consumer's command really starts the consumer and its stop
signal stops it gracefully; the backup units run the repository's script daily."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

INSTALL_ROOT = "/opt/agenda"
STARTUP_LIMIT_SECONDS = 60


def unit(path: Path) -> dict[str, list[str]]:
    """Key -> values of a systemd unit file (keys such as Environment may repeat)."""
    values: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_the_consumer_unit_runs_the_jobs_module_and_restarts(db_url):
    service = unit(REPO / "openfaas" / "huey-consumer.service")

    command = shlex.split(service["ExecStart"][0])
    assert command[:2] == [f"{INSTALL_ROOT}/.venv/bin/huey_consumer", "shared.jobs.main.huey"]
    assert service["Restart"] == ["always"]
    assert service["EnvironmentFile"] == ["/etc/agenda/agenda.env"]
    assert service["KillSignal"] == ["SIGINT"]
    assert "METRICS_EXPORTER_PORT=9108" in service["Environment"]
    from shared.jobs import main

    assert main.huey.name == "agenda"


def test_the_consumer_command_starts_and_stops_gracefully_on_the_units_signal(db_url, tmp_path):
    service = unit(REPO / "openfaas" / "huey-consumer.service")
    command = shlex.split(service["ExecStart"][0])
    command[0] = str(Path(sys.executable).with_name("huey_consumer"))
    log_path = tmp_path / "consumer.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
            # A task finished: the workers run, so the consumer has installed its signal handlers.
            while " executed in " not in log_path.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the consumer did not start:\n{log_path.read_text()}")
                time.sleep(0.05)
            process.send_signal(getattr(signal, service["KillSignal"][0]))
            returncode = process.wait(timeout=int(service["TimeoutStopSec"][0]))
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

    output = log_path.read_text()
    assert returncode == 0, output
    assert "4 thread" in output
    assert "Shutting down gracefully" in output


def test_the_backup_timer_runs_the_repositorys_backup_script_daily():
    service = unit(REPO / "openfaas" / "backup" / "agenda-backup.service")
    timer = unit(REPO / "openfaas" / "backup" / "agenda-backup.timer")

    script = service["ExecStart"][0]
    assert script.startswith(f"{INSTALL_ROOT}/")
    assert (REPO / script.removeprefix(f"{INSTALL_ROOT}/")).stat().st_mode & 0o111
    assert service["Type"] == ["oneshot"]
    assert timer["OnCalendar"] == ["*-*-* 03:15:00 UTC"]
    assert timer["Persistent"] == ["true"]
