"""No failed request across a redeploy: the old container drains under the real of-watchdog, the new one
takes over once ready.

What a container runtime does on a redeploy: SIGTERM to the old container's PID 1 (the watchdog). of-watchdog
0.11.5 then answers 503 on /_/health and /_/ready (the gateway stops routing there), keeps accepting for
`healthcheck_interval`, waits for what it accepted and exits; it forwards the SIGTERM to gunicorn, which
keeps serving meanwhile (shared.gunicorn_conf). The client below plays the gateway: it sends to the
replica it routes to, and retries only a refused connection (a request no one accepted); it routes to the
new replica once that one's /_/ready says 200.

of-watchdog's metrics port (8081) is fixed, so two watchdogs cannot run at once on one machine (they can,
in two containers): the new instance starts once the old one has exited, the harder case for a client,
since for a while no replica answers at all.
"""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import text

from tests.runtime.watchdog import READY_PATH

CLIENTS = 2
# Short drain for the test (production: write_timeout); the mechanism is the same.
SHORTENED = {"healthcheck_interval": "3s"}
GUARD_SECONDS = 120  # only so that a broken run ends; nothing below asserts on time


class Gateway:
    """Where requests go, and what each one got: a status, "refused" (retried) or the error."""

    def __init__(self, headers: dict[str, str]):
        self.url = ""
        self.phase = "old"
        self.headers = {**headers, "Connection": "close"}
        self.outcomes: list[tuple[str, str, object]] = []  # (phase, url, status or error)
        self.lock = threading.Lock()
        self.done = threading.Event()

    def send(self) -> object:
        url, phase = self.url, self.phase
        try:
            outcome: object = httpx.get(url + "/services", headers=self.headers, timeout=60).status_code
        except httpx.ConnectError:
            outcome = "refused"
        except httpx.TransportError as error:
            outcome = f"{type(error).__name__}: {error}"
        with self.lock:
            self.outcomes.append((phase, url, outcome))
        return outcome

    def client(self) -> None:
        while not self.done.is_set():
            if self.send() == "refused":
                self.done.wait(0.02)

    def count(self, phase: str, status: object = 200, url: str | None = None) -> int:
        with self.lock:
            return sum(1 for p, u, s in self.outcomes if p == phase and s == status and url in (None, u))


def _until(condition, what: str) -> None:
    done = threading.Event()
    for _ in range(GUARD_SECONDS * 50):
        if condition():
            return
        done.wait(0.02)
    raise AssertionError(f"never: {what}")


def _waiting_on_lock(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                      "AND datname = current_database()"))


def test_redeploy_loses_no_request(deployment, world, db_engine, tmp_path):
    gateway = Gateway(world["pro"])
    clients = ThreadPoolExecutor(CLIENTS + 2)
    try:
        with deployment.run("catalog", tmp_path / "old", overrides=SHORTENED) as old:
            gateway.url = old.url
            for _ in range(CLIENTS):
                clients.submit(gateway.client)
            _until(lambda: gateway.count("old") >= 10, "the old replica serves")

            # Requests in flight at the SIGTERM: held on a table lock, one in the worker, the rest queued.
            with db_engine.connect() as locker:
                locker.execute(text("LOCK TABLE services IN ACCESS EXCLUSIVE MODE"))
                in_flight = [clients.submit(gateway.send) for _ in range(2)]
                _until(lambda: _waiting_on_lock(db_engine) >= 1, "a request waits on the lock")
                gateway.phase = "draining"
                os.kill(old.process.pid, signal.SIGTERM)  # as the container runtime does to PID 1
                _until(lambda: httpx.get(old.url + "/_/health", timeout=30).status_code == 503,
                       "/_/health turns unhealthy")
                ready_while_draining = httpx.get(old.url + READY_PATH, timeout=30).status_code
                locker.rollback()
            in_flight_statuses = [future.result(timeout=GUARD_SECONDS) for future in in_flight]

            # The gateway has not noticed yet: it keeps sending to the old replica until refused.
            _until(lambda: gateway.count("draining", "refused", old.url) >= 1, "the old watchdog closes")
            watchdog_exit = old.process.wait(timeout=GUARD_SECONDS)
            old_log = old.log_text()
        gateway.phase = "gap"  # no replica: every attempt is refused and retried

        with deployment.run("catalog", tmp_path / "new", overrides=SHORTENED, wait=False) as new:
            new.wait_ready()
            gateway.url, gateway.phase = new.url, "new"
            _until(lambda: gateway.count("new") >= 10, "the new replica serves")
            gateway.done.set()
            clients.shutdown(wait=True)
    finally:
        gateway.done.set()
        clients.shutdown(wait=False, cancel_futures=True)

    failed = [outcome for outcome in gateway.outcomes if outcome[2] not in (200, "refused")]
    assert failed == [], failed
    # Everything the old replica accepted was answered by the app, including what it held at the SIGTERM ...
    assert in_flight_statuses == [200, 200]
    assert gateway.count("draining") >= len(in_flight_statuses)
    # ... while it told the gateway to stop routing to it.
    assert ready_while_draining == 503
    assert "SIGTERM: no new connections" in old_log, old_log
    assert "SIGTERM: serving" in old_log, old_log  # gunicorn kept serving through the drain
    assert watchdog_exit == 0, old_log
    assert "Traceback" not in old_log, old_log
    # The new replica answered once ready; in between, only refused connections, retried.
    assert gateway.count("new") >= 10
    assert gateway.count("gap", 200) == 0


def test_gunicorn_drains_as_long_as_the_watchdog_may_hand_it_requests():
    from shared.gunicorn_conf import drain_seconds, watchdog_duration

    # Outside of-watchdog (make run, the benchmark's server): gunicorn's own SIGTERM.
    assert drain_seconds({"write_timeout": "14s"}) == 0
    # healthcheck_interval (accepting) + write_timeout (finishing), as the watchdog reads them.
    assert drain_seconds({"fprocess": "gunicorn index:app", "write_timeout": "14s"}) == 28
    assert drain_seconds({"fprocess": "gunicorn index:app", "write_timeout": "55s",
                          "healthcheck_interval": "5"}) == 60
    assert drain_seconds({"fprocess": "gunicorn index:app"}) == 20  # the watchdog's defaults, 10 s each
    assert watchdog_duration("1m30s", 0) == 90
    assert watchdog_duration("1500ms", 0) == 1.5
    assert watchdog_duration("soon", 10) == 10
