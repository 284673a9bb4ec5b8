"""Every function as production runs it: faas-cli's build context under the real of-watchdog and gunicorn.

Each test starts the function's watchdog with the Dockerfile's ENV, stack.yml's environment and its
secrets as files, from a virtual environment holding only the runtime requirements, and talks HTTP to
the watchdog's port, as faasd's gateway does.
"""

from __future__ import annotations

import ast
import datetime as dt

import httpx
import pytest
from sqlalchemy import text

from shared.localdev.gateway import load_stack
from tests.factories import DEFAULT_PASSWORD
from tests.runtime.watchdog import (
    COMPILE_BYTECODE,
    READY_PATH,
    REPO,
    dockerfile_env,
    generate,
    image_root,
)

FUNCTIONS = sorted(load_stack()["functions"])
PROBLEM = "application/problem+json"


def probes(world) -> dict[str, tuple[str, str, dict, int]]:
    """One real request per function: (method, path, httpx arguments, expected status)."""
    pro = {"headers": world["pro"]}
    day = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    return {
        "health": ("GET", "/health", {}, 200),
        "auth": ("POST", "/auth/login",
                 {"json": {"email": "pro@example.com", "password": DEFAULT_PASSWORD}}, 200),
        "profile": ("GET", "/me", pro, 200),
        "catalog": ("GET", "/services", pro, 200),
        "availability": ("GET", "/availability/blocks", pro, 200),
        "appointments": ("GET", "/appointments", pro, 200),
        "public": ("GET", f"/public/professionals/{world['slug']}/slots",
                   {"params": {"service_id": str(world["service_id"]), "date": day}}, 200),
        "notifications": ("GET", "/notifications", pro, 200),
        "admin": ("GET", "/admin/professionals", {"headers": world["admin"]}, 200),
        "reminders": ("POST", "/", {}, 200),
    }


def test_every_function_has_a_probe(world):
    assert sorted(probes(world)) == FUNCTIONS


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_serves_through_the_real_watchdog(function, deployment, world, tmp_path):
    method, path, arguments, expected = probes(world)[function]
    with deployment.run(function, tmp_path) as running:
        response = httpx.request(method, running.url + path, timeout=30, **arguments)
        ready = httpx.get(running.url + READY_PATH, timeout=30)
        log = running.log_text()
    assert response.status_code == expected, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Request-ID"]
    assert ready.status_code == 200
    # gunicorn starts without a control socket: nothing tries to write under the read-only HOME.
    assert "Control socket" not in log and ".gunicorn" not in log, log
    assert "Traceback" not in log, log


def test_image_leaves_out_caches_tests_and_dev_requirements(build, tmp_path):
    context = tmp_path / "context"
    context.mkdir()
    (context / ".dockerignore").write_bytes((build / "health" / ".dockerignore").read_bytes())
    (context / "index.py").write_text("")
    (context / "requirements.txt").write_text("")
    for path in ("function/handler.py", "function/shared/db.py", "function/shared/__pycache__/db.pyc",
                 "function/__pycache__/handler.cpython-311.pyc", "function/shared/old.pyc",
                 "function/tests/test_handler.py", "function/shared/test_db.py",
                 "function/requirements/dev.txt", "function/requirements/runtime.txt",
                 "function/templates/email/x.txt"):
        (context / path).parent.mkdir(parents=True, exist_ok=True)
        (context / path).write_text("x")
    root = image_root(context, tmp_path / "root")
    kept = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert kept == ["function/handler.py", "function/requirements/runtime.txt", "function/shared/db.py",
                    "function/templates/email/x.txt", "index.py", "requirements.txt"]


def test_the_image_runs_without_docstrings_from_bytecode_compiled_at_build(build):
    # PYTHONOPTIMIZE=2 keeps docstrings out of every worker's memory; the image compiles the bytecode
    # it needs (the root is read-only at run time), with the flags the runtime tests compile with.
    dockerfile = (build / "health" / "Dockerfile").read_text()
    assert dockerfile_env(build / "health" / "Dockerfile")["PYTHONOPTIMIZE"] == "2"
    assert dockerfile.count(f"python {COMPILE_BYTECODE} ") == 2
    assert f"python {COMPILE_BYTECODE} /home/app\n" in dockerfile


def test_the_code_a_function_runs_has_no_assert_statements():
    # PYTHONOPTIMIZE=2 drops `assert`: no check of the application may rely on one.
    asserting = [f"{path.relative_to(REPO)}:{node.lineno}"
                 for top in ("shared", "functions") for path in sorted((REPO / top).rglob("*.py"))
                 for node in ast.walk(ast.parse(path.read_text(), str(path))) if isinstance(node, ast.Assert)]
    assert asserting == []


@pytest.mark.parametrize("function", ["health", "reminders"])
def test_built_image_holds_no_caches(function, build, tmp_path):
    root = image_root(build / function, tmp_path / "root")
    assert (root / "function" / "handler.py").is_file() and (root / "function" / "shared" / "db.py").is_file()
    assert not [p for p in root.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]
    assert not (root / "function" / "requirements" / "dev.txt").exists()


def test_faas_cli_deploys_each_function_with_its_limits_and_a_read_only_root(tmp_path):
    stack = load_stack()["functions"]
    functions = {doc["spec"]["name"]: doc["spec"] for doc in generate(tmp_path)}
    assert sorted(functions) == FUNCTIONS
    for name, spec in functions.items():
        assert spec["readOnlyRootFilesystem"] is True, name
        assert spec["limits"]["memory"] == stack[name]["limits"]["memory"], name
        assert spec["requests"]["memory"] == stack[name]["requests"]["memory"], name
        deadline = stack[name]["environment"]["REQUEST_TIMEOUT_SECONDS"]
        assert spec["environment"]["REQUEST_TIMEOUT_SECONDS"] == str(deadline), name


def test_gunicorn_has_no_control_socket_and_one_worker(build):
    arguments = dockerfile_env(build / "health" / "Dockerfile")["GUNICORN_CMD_ARGS"]
    assert "--workers=1" in arguments.split()
    from gunicorn.config import Config

    import shared.gunicorn_conf as conf

    config = Config()
    config.set("control_socket_disable", conf.control_socket_disable)
    assert config.control_socket_disable is True
    assert conf.worker_timeout({"REQUEST_TIMEOUT_SECONDS": "8"}) == 10
    assert conf.worker_timeout({}) is None  # no deadline set: gunicorn's own default


def test_the_master_freezes_what_it_holds_before_it_forks_a_worker():
    import gc

    import shared.gunicorn_conf as conf

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        conf.pre_fork(server=None, worker=None)
        # The worker inherits these in the permanent generation: its collections never visit them.
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


def test_readiness_waits_for_the_app(deployment, tmp_path):
    """Requests during start-up: /_/ready says 200 only once the app answers, and from then on all do."""
    seen: list[tuple[int | None, int | None]] = []
    with deployment.run("health", tmp_path, wait=False) as running, httpx.Client(timeout=30) as client:
        after_ready = 0
        while after_ready < 20:
            assert running.process.poll() is None, running.log_text()
            try:
                ready = client.get(running.url + READY_PATH).status_code
            except httpx.TransportError:
                ready = None  # the watchdog is not listening yet
            try:
                health = client.get(running.url + "/health").status_code
            except httpx.TransportError:
                health = None
            seen.append((ready, health))
            after_ready += seen[0][0] == 200 or any(r == 200 for r, _ in seen)
    first_ready = next(index for index, (ready, _) in enumerate(seen) if ready == 200)
    # The watchdog was up and said "not ready" while gunicorn was still starting ...
    assert any(ready not in (None, 200) for ready, _ in seen[:first_ready]), seen
    # ... and once it said ready, every request was answered by the app.
    assert all(health == 200 for _, health in seen[first_ready:]), seen
    assert all(ready == 200 for ready, _ in seen[first_ready:]), seen


def test_slow_request_is_answered_503_problem_at_its_deadline(deployment, world, db_engine, tmp_path):
    """A request stuck on a lock gets the app's 503 problem+json, not the watchdog's 504 or a dropped line.

    The ladder is shortened (same order as stack.yml's) so the test does not wait 8 s.
    """
    # The database's own lock and statement timeouts, inner rungs, are set above the deadline here so
    # that the deadline is what fires (tests/faults covers them).
    ladder = {"DATABASE_LOCK_TIMEOUT_MS": "10000", "DATABASE_STATEMENT_TIMEOUT_MS": "10000",
              "REQUEST_TIMEOUT_SECONDS": "2", "exec_timeout": "5s", "read_timeout": "6s",
              "write_timeout": "6s"}
    with deployment.run("catalog", tmp_path, overrides=ladder) as running:
        with db_engine.connect() as locker:
            locker.execute(text("LOCK TABLE services IN ACCESS EXCLUSIVE MODE"))
            stuck = httpx.get(running.url + "/services", headers=world["pro"], timeout=30)
            locker.rollback()
        after = httpx.get(running.url + "/services", headers=world["pro"], timeout=30)
    assert stuck.status_code == 503, stuck.text
    assert stuck.headers["Content-Type"] == PROBLEM
    assert stuck.headers["Retry-After"]
    assert stuck.json()["detail"] == "The request took longer than 2 s; try again shortly."
    assert after.status_code == 200, after.text
    assert after.json()["total"] == 1
