"""The timeout ladder: for every function each layer gives up after the one inside it has answered."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from flask import Blueprint
from werkzeug.test import Client

from shared.http import create_app
from shared.localdev.gateway import load_stack
from shared.localdev.ladder import duration, ladder, nginx_timeout, outer_timeouts
from shared.localdev.nginx import render
from tests.runtime.watchdog import REPO, dockerfile_env

STACK = load_stack()


@pytest.mark.parametrize("function", sorted(STACK["functions"]))
def test_every_layer_waits_longer_than_the_one_inside_it(function):
    rungs = ladder(STACK, function)
    assert [rung.layer for rung in rungs] == [
        "database statement timeout", "request deadline (503)", "gunicorn worker timeout",
        "of-watchdog exec timeout (504)", "of-watchdog connection", "faasd gateway", "nginx proxy"]
    for inner, outer in zip(rungs, rungs[1:], strict=False):
        assert inner.seconds < outer.seconds, (function, inner, outer)


def test_reminders_has_the_longest_ladder():
    deadlines = {name: ladder(STACK, name)[1].seconds for name in STACK["functions"]}
    assert max(deadlines, key=deadlines.get) == "reminders"
    assert deadlines["reminders"] >= 30


def test_the_image_leaves_every_timeout_to_stack_yml():
    env = dockerfile_env(REPO / "template" / "python3-agenda" / "Dockerfile")
    assert not {"exec_timeout", "read_timeout", "write_timeout"} & set(env)
    assert "--timeout" not in env["GUNICORN_CMD_ARGS"]
    assert env["ready_path"] == "/_/ready"
    assert "http_buffer_req_body" not in env and "buffer_http" not in env


def test_nginx_site_waits_for_the_outermost_rung():
    site = render(STACK)
    seconds = nginx_timeout()
    assert f"proxy_read_timeout {seconds:g}s;" in site and f"proxy_send_timeout {seconds:g}s;" in site
    assert seconds > max(duration(value) for value in outer_timeouts()["gateway"].values())


@pytest.mark.parametrize(("text", "seconds"), [("12s", 12), ("1m30s", 90), ("500ms", 0.5), ("45", 45)])
def test_durations_read_as_of_watchdog_reads_them(text, seconds):
    assert duration(text) == seconds


def test_a_request_past_its_deadline_is_503_problem():
    bp = Blueprint("slow", __name__)

    @bp.get("/slow")
    def slow():
        time.sleep(5)
        return {"finished": True}

    settings = SimpleNamespace(cors_origins=(), max_body_bytes=1024, request_timeout_seconds=1)
    response = Client(create_app("slow", bp, settings=settings)).get("/slow")
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["detail"] == "The request took longer than 1 s; try again shortly."
