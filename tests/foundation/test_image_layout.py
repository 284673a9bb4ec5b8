"""Function images: stack.yml names real handlers with the agenda template (tests/runtime runs the builds)."""

from __future__ import annotations

import pytest
import yaml
from flask import Flask
from werkzeug.test import Client

from shared.localdev.gateway import create_gateway, import_function_app, load_stack
from tests.conftest import REPO
from tests.runtime.watchdog import dockerfile_env

TEMPLATE = REPO / "template" / "python3-agenda"
SPEC_FUNCTIONS = {"health", "auth", "profile", "catalog", "availability", "appointments", "public",
                  "notifications", "admin", "reminders"}


def template_yml() -> dict:
    return yaml.safe_load((TEMPLATE / "template.yml").read_text())


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


def test_memory_requests_of_the_ten_functions_fit_in_one_gib():
    from tests.benchmarks.containers import quantity

    functions = load_stack()["functions"].values()
    assert sum(quantity(spec["requests"]["memory"]) for spec in functions) <= 2**30
    for spec in functions:
        assert quantity(spec["requests"]["memory"]) < quantity(spec["limits"]["memory"])
