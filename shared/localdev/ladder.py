"""The timeout ladder of a function, innermost first: each layer must give up after the one inside it.

Where each rung is set: the database statement timeout, the request deadline and of-watchdog's
timeouts in the function's environment (openfaas/stack.yml); gunicorn's timeout derives from the
request deadline (shared.gunicorn_conf); faasd's gateway and nginx in openfaas/timeouts.yml. The
generated nginx site reads its timeout from here; tests/runtime/test_timeout_ladder.py checks the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shared.localdev.gateway import REPO_ROOT
from shared.timeouts import go_duration as duration

TIMEOUTS_FILE = REPO_ROOT / "openfaas" / "timeouts.yml"


@dataclass(frozen=True)
class Rung:
    layer: str
    seconds: float
    where: str


def outer_timeouts(path: Path = TIMEOUTS_FILE) -> dict[str, dict[str, str]]:
    """openfaas/timeouts.yml: faasd's gateway and nginx."""
    return yaml.safe_load(path.read_text())


def nginx_timeout(outer: Mapping[str, Any] | None = None) -> float:
    return duration((outer or outer_timeouts())["nginx"]["proxy_timeout"])


def ladder(stack: Mapping[str, Any], function: str, outer: Mapping[str, Any] | None = None) -> list[Rung]:
    """Every rung for `function`, from the innermost (the database) to the outermost (nginx)."""
    from shared.gunicorn_conf import worker_timeout

    outer = outer or outer_timeouts()
    env = {key: str(value) for key, value in (stack["functions"][function].get("environment") or {}).items()}
    missing = [name for name in ("DATABASE_STATEMENT_TIMEOUT_MS", "REQUEST_TIMEOUT_SECONDS", "exec_timeout",
                                 "read_timeout", "write_timeout") if name not in env]
    if missing:
        raise ValueError(f"function {function}: set {', '.join(missing)} in its environment (stack.yml)")
    gateway = outer["gateway"]
    return [
        Rung("database statement timeout", int(env["DATABASE_STATEMENT_TIMEOUT_MS"]) / 1000,
             "DATABASE_STATEMENT_TIMEOUT_MS"),
        Rung("request deadline (503)", float(env["REQUEST_TIMEOUT_SECONDS"]), "REQUEST_TIMEOUT_SECONDS"),
        Rung("gunicorn worker timeout", float(worker_timeout(env)), "shared.gunicorn_conf"),
        Rung("of-watchdog exec timeout (504)", duration(env["exec_timeout"]), "exec_timeout"),
        Rung("of-watchdog connection", min(duration(env["read_timeout"]), duration(env["write_timeout"])),
             "read_timeout, write_timeout"),
        Rung("faasd gateway", min(duration(gateway[key]) for key in ("read_timeout", "write_timeout",
                                                                       "upstream_timeout")),
             "openfaas/timeouts.yml gateway"),
        Rung("nginx proxy", nginx_timeout(outer), "openfaas/timeouts.yml nginx"),
    ]
