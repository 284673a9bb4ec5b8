"""Case 6: each function alone under gunicorn (1 worker), as its image runs it; start to first answer.

The clock starts before the process is spawned (interpreter, gunicorn, the worker importing the
function) and stops when the first real request has been answered: a route of that function that
reaches the database, with a token where the route needs one. The port is polled until it accepts;
gunicorn binds before its worker is ready, so the request then waits in the backlog for the worker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter

from tests.benchmarks.harness import REPO, free_port, gunicorn_command, stop
from tests.benchmarks.report import BASELINE, Report, verdict
from tests.benchmarks.seed import World
from tests.benchmarks.stats import median, ratio

RUNS = 5
BASELINE_APP = "tests.benchmarks.server:bare_app"
TARGET_SECONDS = 0.300
IMPORT_PROBE = """
import json, sys, time
started = time.perf_counter()
import functions.{name}.handler
print(json.dumps({{"seconds": time.perf_counter() - started, "boto3": "boto3" in sys.modules,
                  "botocore": "botocore" in sys.modules, "modules": len(sys.modules)}}))
"""


def probes(world: World) -> dict[str, tuple[str, str, dict, bytes | None, int]]:
    """(method, path, headers, body, expected status): one real request per function of stack.yml."""
    pro, admin = world.floor_headers, world.admin_headers
    day = world.slots_from.isoformat()
    return {
        "health": ("GET", "/health", {}, None, 200),
        "auth": ("POST", "/auth/refresh", {"Content-Type": "application/json"},
                 json.dumps({"refresh_token": "not-a-refresh-token-" + "x" * 24}).encode(), 401),
        "profile": ("GET", "/me", pro, None, 200),
        "catalog": ("GET", "/services", pro, None, 200),
        "availability": ("GET", "/availability/blocks", pro, None, 200),
        "appointments": ("GET", "/appointments", pro, None, 200),
        "public": ("GET", f"/public/professionals/{world.slots_page.slug}/slots?service_id="
                   f"{world.slots_page.service_id}&date={day}", {}, None, 200),
        "notifications": ("GET", "/notifications", pro, None, 200),
        "admin": ("GET", "/admin/professionals", admin, None, 200),
        "reminders": ("POST", "/", {}, None, 200),
    }


def _first_answer(port: int, probe, process: subprocess.Popen, deadline: float) -> int:
    method, path, headers, body, _expected = probe
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers,
                                     method=method)
    while True:
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                answer.read()
                return answer.status
        except urllib.error.HTTPError as answer:  # an answer all the same (401 for auth's probe)
            answer.read()
            return answer.code
        except (urllib.error.URLError, ConnectionError) as error:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"no answer: {error}") from error
            time.sleep(0.002)


def cold_start(name: str, app: str, probe, env: dict[str, str]) -> tuple[float, int, int]:
    """Seconds from spawning gunicorn to the first answer, its status, and the worker's RSS in bytes."""
    import psutil

    port = free_port()
    command = gunicorn_command(app, port, 1)
    with tempfile.TemporaryFile() as log, tempfile.TemporaryDirectory(prefix="agenda-bench-") as metrics:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, env={**env, "PROMETHEUS_MULTIPROC_DIR": metrics},
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            status = _first_answer(port, probe, process, time.monotonic() + 30)
            elapsed = time.perf_counter() - started
            workers = psutil.Process(process.pid).children()
            rss = workers[0].memory_info().rss if workers else 0
        except RuntimeError:
            log.seek(0)
            raise RuntimeError(f"{name}: {log.read().decode(errors='replace')[-3000:]}") from None
        finally:
            stop(process)
    return elapsed, status, rss


def imports(name: str, env: dict[str, str]) -> dict:
    """The handler's import in a fresh interpreter: seconds, boto3 or not, and where the time went."""
    finished = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORT_PROBE.format(name=name)],
                              cwd=REPO, env=env, capture_output=True, text=True, check=True)
    found = json.loads(finished.stdout.strip().splitlines()[-1])
    by_package: Counter = Counter()
    for line in finished.stderr.splitlines():
        # "import time:   self [us] |   cumulative | <indent>package.module"
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            by_package[parts[2].strip().split(".")[0]] += int(parts[0])
    found["heaviest"] = by_package.most_common(6)
    return found


def _measure(name: str, app: str, probe, env: dict[str, str]) -> tuple[float, str, list[int], float]:
    """Median seconds, the runs as text, the statuses seen and the median worker RSS (MiB) of RUNS starts."""
    runs = [cold_start(name, app, probe, env) for _ in range(RUNS)]
    seconds = median([elapsed for elapsed, _, _ in runs])
    text = "runs " + ", ".join(f"{elapsed * 1000:.0f}" for elapsed, _, _ in runs)
    statuses = sorted({status for _, status, _ in runs})
    return seconds, text, statuses, median([rss for _, _, rss in runs]) / 2**20


def run(world: World, report: Report, function_names: list[str]) -> None:
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    all_probes = probes(world)
    missing = [name for name in function_names if name not in all_probes]
    if missing:
        raise RuntimeError(f"no cold-start probe for {', '.join(missing)}: add one in {__name__}")
    heaviest = ["| Function | Handler import | Modules | Largest own import time, by top-level package |",
                "|---|---|---|---|"]
    baseline, runs, _, rss = _measure("baseline", BASELINE_APP, ("GET", "/", {}, None, 200), env)
    report.add("6", f"Cold start baseline: gunicorn (1 worker) serving a bare WSGI app, no Agenda code; "
               f"median of {RUNS}", f"{baseline * 1000:.0f} ms ({runs}); worker RSS {rss:.0f} MiB",
               outcome=BASELINE)
    for name in function_names:
        probe = all_probes[name]
        seconds, runs, statuses, rss = _measure(name, f"functions.{name}.handler:app", probe, env)
        imported = imports(name, env)
        mail_free = not imported["boto3"]
        largest = ", ".join(f"{package} {micro / 1000:.0f} ms" for package, micro in imported["heaviest"])
        import_ms = imported["seconds"] * 1000
        heaviest.append(f"| `{name}` | {import_ms:.0f} ms | {imported['modules']} | {largest} |")
        answer = "" if statuses == [probe[4]] else f"; **answered {statuses}, expected {probe[4]}**"
        report.add("6", f"Cold start `{name}` (`{probe[0]} {probe[1].split('?')[0]}` → {probe[4]}), "
                   f"median of {RUNS}",
                   f"{seconds * 1000:.0f} ms = {ratio(seconds / baseline)} baseline ({runs}); "
                   f"{imported['modules']} modules imported; "
                   f"boto3 {'imported' if imported['boto3'] else 'not imported'}; worker RSS {rss:.0f} MiB"
                   + answer,
                   "< 300 ms; no boto3", verdict(seconds < TARGET_SECONDS and mail_free and not answer))
    report.details.append(("Cold start: where the import time goes", "\n".join([
        "`python -X importtime -c 'import functions.<name>.handler'`, self time summed by top-level package "
        "(a fresh interpreter each; the -X importtime bookkeeping adds a little).", "", *heaviest])))
