"""A function app for the multi-worker metrics test: it names the worker that answers, and can hold one
worker busy until the test releases it, so the next requests must go to the other worker."""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import Blueprint

from shared.http import create_app

PROBE_DIR_ENV = "METRICS_PROBE_DIR"
HOLD_LIMIT_SECONDS = 60

bp = Blueprint("probe", __name__)


def _probe_dir() -> Path:
    return Path(os.environ[PROBE_DIR_ENV])


@bp.get("/pid")
def pid():
    """The id of the worker process that answers."""
    return {"pid": os.getpid()}


@bp.get("/hold")
def hold():
    """Say this worker is busy (a `held` file), then wait for a `release` file before answering."""
    directory = _probe_dir()
    (directory / "held").write_text(str(os.getpid()))
    deadline = time.monotonic() + HOLD_LIMIT_SECONDS
    while not (directory / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"pid": os.getpid()}


app = create_app("probe", bp)
