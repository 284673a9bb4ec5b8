"""Function images: stack.yml names real handlers, and a faas-cli build context serves the same app."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from flask import Flask
from werkzeug.test import Client

from shared.localdev.gateway import create_gateway, import_function_app, load_stack
from tests.conftest import REPO

TEMPLATE = REPO / "template" / "python3-agenda"
SPEC_FUNCTIONS = {"health", "auth", "profile", "catalog", "availability", "appointments", "public",
                  "notifications", "admin", "reminders"}
STARTUP_LIMIT_SECONDS = 60
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


def dockerfile_env(path: Path) -> dict[str, str]:
    """Every ENV the Dockerfile sets, in order (continuation lines joined)."""
    env: dict[str, str] = {}
    for line in path.read_text().replace("\\\n", " ").splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def build_context(stack: dict, function: str, destination: Path) -> Path:
    """Lay out what `faas-cli build --shrinkwrap` writes to build/<function>/ (run from the repo root)."""
    context = destination / function
    shutil.copytree(TEMPLATE, context, ignore=IGNORED)
    handler = REPO / stack["functions"][function]["handler"]
    for item in handler.iterdir():
        if item.name in ("build", "template", "__pycache__"):  # faas-cli skips the first two
            continue
        target = context / "function" / item.name
        if item.is_dir():
            shutil.copytree(item, target, ignore=IGNORED, dirs_exist_ok=True)
        else:
            shutil.copy2(item, target)
    for extra in stack["configuration"]["copy"]:
        shutil.copytree(REPO / extra, context / "function" / extra, ignore=IGNORED)
    return context


def template_yml() -> dict:
    return yaml.safe_load((TEMPLATE / "template.yml").read_text())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_stack_lists_every_function_of_the_spec_with_the_agenda_template(monkeypatch):
    monkeypatch.delenv("TAG", raising=False)
    stack = load_stack()
    assert set(stack["functions"]) == SPEC_FUNCTIONS
    for name, spec in stack["functions"].items():
        assert spec["lang"] == "python3-agenda"
        assert spec["handler"] == f"./functions/{name}"
        assert spec["image"].endswith(f"/{name}:latest")
        assert "agenda-database-url" in spec["secrets"]
        assert {"com.openfaas.scale.min", "com.openfaas.scale.max"} <= set(spec["labels"])
    reminders = stack["functions"]["reminders"]["annotations"]
    assert (reminders["topic"], reminders["schedule"]) == ("cron-function", "*/5 * * * *")


def test_copied_paths_are_inside_the_repository_where_faas_cli_runs():
    for extra in load_stack()["configuration"]["copy"]:
        path = (REPO / extra).resolve()
        assert path.is_dir() and path != REPO and path.is_relative_to(REPO), extra


def test_template_is_where_faas_cli_looks_and_agrees_with_its_dockerfile():
    template = template_yml()
    env = dockerfile_env(TEMPLATE / "Dockerfile")
    assert template["language"] == TEMPLATE.name
    assert template["fprocess"] == env["fprocess"]
    assert env["mode"] == "http"
    assert env["upstream_url"] == "http://127.0.0.1:5000"
    assert "--bind=127.0.0.1:5000" in env["GUNICORN_CMD_ARGS"]


@pytest.mark.parametrize("name", sorted(SPEC_FUNCTIONS))
def test_every_function_has_a_handler_exposing_a_flask_app(name):
    assert (REPO / "functions" / name / "handler.py").is_file()
    assert isinstance(import_function_app(name), Flask)


def image_env(context: Path, tmp_path: Path) -> dict[str, str]:
    """The test settings plus the Dockerfile's own values, with the image's /home/app mapped to `context`."""
    dockerfile = dockerfile_env(context / "Dockerfile")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "GUNICORN_CMD_ARGS")}
    env["PYTHONPATH"] = dockerfile["PYTHONPATH"].replace("/home/app", str(context))
    env["GUNICORN_CMD_ARGS"] = dockerfile["GUNICORN_CMD_ARGS"]
    # gunicorn's on_starting hook creates it; a bare import needs it to exist already.
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "prometheus")
    (tmp_path / "prometheus").mkdir(exist_ok=True)
    return env


@pytest.mark.parametrize("name", sorted(SPEC_FUNCTIONS))
def test_every_function_imports_from_its_build_context_alone(name, tmp_path):
    context = build_context(load_stack(), name, tmp_path)
    # index.py as the image runs it; the copies in the context are what get imported, not the repository's.
    probe = "import index, shared, function.handler as h; print(shared.__file__); print(h.__file__)"
    imported = subprocess.run([sys.executable, "-c", probe], cwd=context, env=image_env(context, tmp_path),
                              capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split() == [str(context / "function" / "shared" / "__init__.py"),
                                       str(context / "function" / "handler.py")]


def test_function_url_and_root_path_reach_the_same_health_function(db_url):
    served = []

    def loader(name):
        app = import_function_app(name)

        def recording(environ, start_response):
            served.append((name, environ["PATH_INFO"]))
            return app(environ, start_response)

        return recording

    gateway = Client(create_gateway(loader=loader))
    direct, root = gateway.get("/function/health/health"), gateway.get("/health")
    assert (direct.status_code, root.status_code) == (200, 200)
    assert direct.get_json()["status"] == root.get_json()["status"] == "ok"
    assert served == [("health", "/health"), ("health", "/health")]


def test_health_image_layout_serves_health_with_the_template_entry_point(db_url, tmp_path):
    context = build_context(load_stack(), "health", tmp_path)
    env = image_env(context, tmp_path)
    port = free_port()
    env["GUNICORN_CMD_ARGS"] = env["GUNICORN_CMD_ARGS"].replace("127.0.0.1:5000", f"127.0.0.1:{port}")
    fprocess = shlex.split(dockerfile_env(context / "Dockerfile")["fprocess"])
    command = [str(Path(sys.executable).with_name(fprocess[0])), *fprocess[1:]]
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(command, cwd=context, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        response = None
        deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
        while response is None:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not serve (exit {process.poll()}):\n"
                            f"{(tmp_path / 'gunicorn.log').read_text()}")
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=10)
            except httpx.TransportError:
                time.sleep(0.1)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.json()["status"] == "ok"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
