"""Case 8: each function as its container runs it (of-watchdog + gunicorn): cold start and memory.

Every function is built by the real faas-cli and started under the real of-watchdog, with the image's
settings and stack.yml's environment, from the runtime-only virtual environment (tests/runtime/watchdog.py,
the same path `make deploy-check` takes). Cold start: from spawning the watchdog to the first success of
the function's probe (cold-start case 6's request), polled. Memory: RSS and PSS of the watchdog, the
gunicorn master and its worker together, after a warm-up (WARM_UP probes one after another) and again
after a burst (BURST_CLIENTS clients at once, BURST_REQUESTS each, of the function's probe or of what
weighs more: for auth, logins, whose Argon2 cost is the largest allocation any request makes; for public,
its pages in both languages, whose locale data the JSON probe never loads, and bookings, which load the
queue's Redis client, in turn with the probe). PSS counts a page shared by processes once in total, which
is what the container's memory holds; stack.yml's limits and requests are compared with it.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from shared.localdev.gateway import load_stack
from tests.benchmarks.coldstart import probes
from tests.benchmarks.http_cases import booking_request
from tests.benchmarks.report import Report, verdict
from tests.benchmarks.seed import World, booking_start, local_today
from tests.benchmarks.stats import median
from tests.runtime.watchdog import Deployment, runtime_venv, shrinkwrap

STARTS = 3
WARM_UP = 20
BURST_CLIENTS, BURST_REQUESTS = 4, 5
FUNCTION_TARGET_MIB = 100
TOTAL_TARGET_MIB = 1024
# A limit must leave this much room above the largest PSS measured after a burst.
LIMIT_HEADROOM = 1.25
MIB = 2**20
_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def quantity(value: str) -> int:
    """Bytes in a Kubernetes-style quantity as stack.yml writes them (96Mi, 1Gi)."""
    text = str(value)
    for suffix, factor in _UNITS.items():
        if text.endswith(suffix):
            return int(float(text[:-2]) * factor)
    return int(text)


def _send(url: str, probe, client: int = 0) -> int:
    method, path, headers, body, _expected = probe
    headers = {**headers, "X-Forwarded-For": f"10.8.{client // 250}.{client % 250 + 1}"}
    request = urllib.request.Request(url + path, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()
            return answer.status
    except urllib.error.HTTPError as answer:
        answer.read()
        return answer.code


def _first_success(running, probe, limit: float = 90) -> float:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            break
        try:
            if _send(running.url, probe) == probe[4]:
                return time.perf_counter() - running.started
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.005)
    raise RuntimeError(f"{running.function}: no success:\n{running.log_text()[-3000:]}")


def _burst(running, requests: list) -> list[int]:
    """BURST_CLIENTS clients at once, each sending BURST_REQUESTS of `requests` in turn."""
    with concurrent.futures.ThreadPoolExecutor(BURST_CLIENTS) as pool:
        futures = [pool.submit(_send, running.url, requests[(client * BURST_REQUESTS + n) % len(requests)],
                               client * BURST_REQUESTS + n)
                   for client in range(BURST_CLIENTS) for n in range(BURST_REQUESTS)]
        return [future.result() for future in futures]


def burst_requests(world: World, name: str, probe) -> list:
    """What the burst sends to function `name` (see the module's docstring)."""
    if name == "auth":
        return [("POST", "/auth/login", {"Content-Type": "application/json"},
                 json.dumps({"email": world.floor_email, "password": world.password}).encode(), 200)]
    if name == "public":
        # Free times of the warm-up page a month ahead, where no other case books.
        first_day = local_today() + dt.timedelta(days=30)
        bookings = [booking_request(world.warm_up_page, booking_start(n, first_day), f"b{n}@client.example")
                    for n in range(BURST_CLIENTS * BURST_REQUESTS // 4)]
        pages = [("GET", f"{world.booking_page_path()}&lang={lang}", {}, None, 200) for lang in ("es", "en")]
        return [request for booking in bookings
                for request in (probe, pages[0], pages[1],
                                (*booking[:3], booking[3].encode(), 201))]
    return [probe]


def run(world: World, report: Report, env: dict[str, str]) -> None:
    stack = load_stack()
    all_probes = probes(world)
    with tempfile.TemporaryDirectory(prefix="agenda-bench-containers-") as scratch:
        workdir = Path(scratch)
        deployment = Deployment(
            build=shrinkwrap(workdir / "shrinkwrap"), venv=runtime_venv(),
            secrets={"agenda-database-url": env["DATABASE_URL"], "agenda-jwt-secret": env["JWT_SECRET"],
                     "agenda-link-secret": env["LINK_SECRET"], "agenda-encryption-key": env["ENCRYPTION_KEY"],
                     "agenda-metrics-token": env["METRICS_TOKEN"]},
            environment={"REDIS_URL": env["REDIS_URL"]})
        total_pss = 0.0
        rows = []
        for name in stack["functions"]:
            probe = all_probes[name]
            burst = burst_requests(world, name, probe)
            starts, memory = [], None
            for attempt in range(STARTS):
                with deployment.run(name, workdir / f"{name}-{attempt}", wait=False) as running:
                    starts.append(_first_success(running, probe))
                    if attempt == STARTS - 1:
                        statuses = [_send(running.url, probe) for _ in range(WARM_UP)]
                        warm = running.memory()
                        statuses += _burst(running, burst)
                        memory = (warm, running.memory(), sorted(set(statuses)))
            (warm_rss, warm_pss), (burst_rss, burst_pss), statuses = memory
            spec = stack["functions"][name]
            limit, request = quantity(spec["limits"]["memory"]), quantity(spec["requests"]["memory"])
            total_pss += burst_pss / MIB
            expected = sorted({probe[4]} | {request[4] for request in burst})
            answered = "" if statuses == expected else f"; **answered {statuses}, expected {expected}**"
            fits = (burst_pss / MIB <= FUNCTION_TARGET_MIB and limit >= LIMIT_HEADROOM * burst_pss
                    and request >= warm_pss and not answered)
            rows.append((name, warm_pss, burst_pss))
            report.add(
                "8", f"`{name}` container (of-watchdog + gunicorn, 1 worker): cold start to first "
                f"`{probe[0]} {probe[1].split('?')[0]}` → {probe[4]}, median of {STARTS}; memory after "
                f"{WARM_UP} requests, then after {BURST_CLIENTS}×{BURST_REQUESTS} at once"
                + {"auth": " (logins)", "public": " (slots, its pages in es and en, bookings)"}.get(name, ""),
                f"{median(starts) * 1000:.0f} ms (runs {', '.join(f'{s * 1000:.0f}' for s in starts)}); "
                f"PSS {warm_pss / MIB:.0f} → {burst_pss / MIB:.0f} MiB (RSS {warm_rss / MIB:.0f} → "
                f"{burst_rss / MIB:.0f} MiB); stack.yml request {spec['requests']['memory']}, limit "
                f"{spec['limits']['memory']} ({limit / burst_pss:.2f}× burst PSS){answered}",
                f"≤ {FUNCTION_TARGET_MIB} MiB; limit ≥ {LIMIT_HEADROOM}× burst; request ≥ warm",
                verdict(fits))
        report.add("8", "All ten containers together, PSS after their bursts",
                   f"{total_pss:.0f} MiB (largest: " + ", ".join(
                       f"{name} {burst / MIB:.0f}" for name, _, burst in
                       sorted(rows, key=lambda row: -row[2])[:3]) + ")",
                   f"≤ {TOTAL_TARGET_MIB} MiB", verdict(total_pss <= TOTAL_TARGET_MIB))
