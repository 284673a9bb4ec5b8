"""The local gateway routes like nginx + the OpenFaaS gateway + of-watchdog, shown with stand-in apps."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml
from werkzeug.test import Client

from shared.localdev.gateway import DEFAULT_STACK, create_gateway, expand_env, load_stack, root_routes

CLIENT_ADDR = "198.51.100.7"


def echo(name):
    """A stand-in function app that answers with what it received."""

    def app(environ, start_response):
        body = json.dumps({
            "function": name,
            "path": environ["PATH_INFO"],
            "script_name": environ.get("SCRIPT_NAME", ""),
            "query": environ.get("QUERY_STRING", ""),
            "headers": {key[5:].replace("_", "-").lower(): value
                        for key, value in environ.items() if key.startswith("HTTP_")},
        })
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body.encode()]

    return app


@pytest.fixture
def loaded():
    return []


@pytest.fixture
def client(loaded):
    def loader(name):
        loaded.append(name)
        return echo(name)

    return Client(create_gateway(loader=loader))


def get(client, path, **kwargs):
    kwargs.setdefault("environ_base", {"REMOTE_ADDR": CLIENT_ADDR})
    response = client.get(path, **kwargs)
    return response, (response.get_json() if response.status_code == 200 else None)


def test_function_url_strips_the_prefix_and_keeps_the_query_string(client):
    response, seen = get(client, "/function/catalog/services/4?limit=5&q=ana%20b")
    assert response.status_code == 200
    assert seen["function"] == "catalog"
    assert seen["path"] == "/services/4"
    assert seen["script_name"] == ""
    assert seen["query"] == "limit=5&q=ana%20b"


@pytest.mark.parametrize("path", ["/function/reminders", "/function/reminders/"])
def test_function_url_without_a_rest_reaches_the_function_root(client, path):
    response, seen = get(client, path)
    assert (seen["function"], seen["path"]) == ("reminders", "/")


def test_namespace_suffix_names_the_same_function(client):
    response, seen = get(client, "/function/health.openfaas-fn/health")
    assert (seen["function"], seen["path"]) == ("health", "/health")


def test_gateway_adds_forwarding_call_id_and_start_time_headers(client):
    response, seen = get(client, "/function/auth/auth/login", headers={"Host": "api.agenda.test"},
                         environ_base={"REMOTE_ADDR": CLIENT_ADDR, "REMOTE_PORT": "54321"})
    headers = seen["headers"]
    # With nothing before it, the gateway forwards its peer as Go writes it: host:port.
    assert headers["x-forwarded-for"] == f"{CLIENT_ADDR}:54321"
    assert headers["x-forwarded-host"] == "api.agenda.test"
    assert re.fullmatch(r"[0-9a-f-]{36}", headers["x-call-id"])
    assert headers["x-call-id"] == response.headers["X-Call-Id"]
    assert headers["x-start-time"].isdigit()
    assert headers["x-start-time"] == response.headers["X-Start-Time"]
    # The function is reached at its service address, as behind the real gateway.
    assert headers["host"] == "auth.openfaas-fn:8080"


def test_gateway_keeps_a_call_id_and_forwarding_headers_it_is_given(client):
    response, seen = get(client, "/function/health/health", headers={
        "X-Call-Id": "call-1", "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "agenda.example"})
    headers = seen["headers"]
    assert headers["x-call-id"] == "call-1"
    assert "X-Call-Id" not in response.headers
    assert headers["x-forwarded-for"] == "203.0.113.9"
    assert headers["x-forwarded-host"] == "agenda.example"


def test_root_paths_get_the_headers_nginx_sets(client):
    response, seen = get(client, "/health", headers={
        "Host": "agenda.example", "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "evil.example"})
    headers = seen["headers"]
    # The client's own X-Forwarded-For is replaced: its address is the one hop the functions trust.
    assert headers["x-forwarded-for"] == headers["x-real-ip"] == CLIENT_ADDR
    assert headers["x-forwarded-host"] == "agenda.example"
    assert headers["x-forwarded-proto"] == "http"
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])
    assert headers["x-call-id"] == response.headers["X-Call-Id"]


def test_root_paths_keep_the_callers_request_id(client):
    _, seen = get(client, "/health", headers={"X-Request-ID": "req-42"})
    assert seen["headers"]["x-request-id"] == "req-42"


def test_hop_by_hop_headers_do_not_reach_the_function(client):
    response, seen = get(client, "/function/health/health", headers={"Connection": "keep-alive",
                                                                       "Keep-Alive": "timeout=5"})
    assert "connection" not in seen["headers"]
    assert "keep-alive" not in seen["headers"]


def test_unknown_function_is_a_404_problem(client, loaded):
    response, _ = get(client, "/function/payments/charge")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 404
    assert "payments" in problem["detail"]
    assert problem["request_id"] == response.headers["X-Request-ID"]
    assert loaded == []


@pytest.mark.parametrize("path", ["/", "/nothing-here", "/appointmentsx", "/authority/login", "/function"])
def test_unmapped_root_path_is_a_404_problem(client, path):
    response, _ = get(client, path)
    assert response.status_code == 404
    assert response.get_json()["title"] == "Not Found"


@pytest.mark.parametrize(("path", "function"), [
    ("/appointments/cancel/tok-123", "public"),
    ("/appointments/reschedule/tok-123", "public"),
    ("/appointments/5", "appointments"),
    ("/appointments", "appointments"),
    ("/appointment-requests/3/accept", "appointments"),
    ("/public/professionals/demo/slots", "public"),
    ("/auth/login", "auth"),
    ("/me", "profile"),
    ("/me/profile", "profile"),
    ("/settings", "profile"),
    ("/professionals/demo-practice/public", "profile"),
    ("/services/4", "catalog"),
    ("/clients", "catalog"),
    ("/availability/slots", "availability"),
    ("/notifications", "notifications"),
    ("/admin/stats", "admin"),
    ("/health", "health"),
])
def test_root_path_reaches_the_function_with_the_longest_matching_prefix(client, path, function):
    response, seen = get(client, path + "?x=1")
    assert (seen["function"], seen["path"], seen["query"]) == (function, path, "x=1")


def test_root_path_and_function_url_reach_the_same_function_with_the_same_path(client):
    _, at_root = get(client, "/appointments/cancel/tok-1")
    _, direct = get(client, "/function/public/appointments/cancel/tok-1")
    assert (at_root["function"], at_root["path"]) == (direct["function"], direct["path"])


def test_function_apps_are_imported_on_first_use_and_once(client, loaded):
    assert loaded == []
    get(client, "/health")
    get(client, "/function/health/health")
    get(client, "/auth/login")
    assert loaded == ["health", "auth"]


def test_methods_the_provider_does_not_proxy_are_refused(client):
    response = client.open("/function/health/health", method="TRACE")
    assert response.status_code == 405


def test_openapi_document_is_served_when_it_exists(tmp_path):
    shutil.copy(DEFAULT_STACK, tmp_path / "stack.yml")
    gateway = Client(create_gateway(tmp_path / "stack.yml", loader=echo))
    assert gateway.get("/openapi.json").status_code == 404
    (tmp_path / "openapi.json").write_text('{"openapi": "3.1.0"}')
    response = gateway.get("/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == {"openapi": "3.1.0"}


@pytest.mark.parametrize(("text", "env", "expected"), [
    ("${REGISTRY:-agenda}/auth", {}, "agenda/auth"),
    ("${REGISTRY:-agenda}/auth", {"REGISTRY": ""}, "agenda/auth"),
    ("${REGISTRY-agenda}/auth", {"REGISTRY": ""}, "/auth"),
    ("${REGISTRY:-agenda}/auth", {"REGISTRY": "ghcr.io/acme"}, "ghcr.io/acme/auth"),
    ("$TAG and ${TAG}", {"TAG": "v1"}, "v1 and v1"),
    ("cost: $$5", {}, "cost: $5"),
    ('schedule: "*/5 * * * *"', {}, 'schedule: "*/5 * * * *"'),
])
def test_stack_file_variables_are_substituted_like_faas_cli(text, env, expected):
    assert expand_env(text, env) == expected


def test_stack_file_image_follows_the_registry_variable(monkeypatch):
    monkeypatch.setenv("REGISTRY", "registry.agenda.example/team")
    monkeypatch.delenv("TAG", raising=False)
    assert load_stack()["functions"]["auth"]["image"] == "registry.agenda.example/team/auth:latest"


def test_a_root_route_claimed_by_two_functions_is_rejected():
    stack = {"functions": {"a": {"annotations": {"com.agenda.routes": "/x"}},
                           "b": {"annotations": {"com.agenda.routes": "/x/"}}}}
    with pytest.raises(ValueError, match="/x"):
        root_routes(stack)


def test_a_key_given_twice_in_the_stack_file_is_refused_as_faas_cli_does(tmp_path):
    stack = tmp_path / "stack.yml"
    stack.write_text("provider:\n  name: openfaas\nfunctions:\n  health:\n"
                     "    environment:\n      MAX_BODY_BYTES: '1'\n      MAX_BODY_BYTES: '2'\n")
    with pytest.raises(yaml.constructor.ConstructorError, match="MAX_BODY_BYTES"):
        load_stack(stack)


def test_the_gateways_own_answers_carry_the_functions_security_headers(tmp_path):
    from shared.http.app import SECURITY_HEADERS

    shutil.copy(DEFAULT_STACK, tmp_path / "stack.yml")
    (tmp_path / "openapi.json").write_text('{"openapi": "3.1.0"}')
    gateway = Client(create_gateway(tmp_path / "stack.yml", loader=echo))
    answers = [gateway.get("/nothing-here"), gateway.get("/function/payments/charge"),
               gateway.open("/function/health/health", method="TRACE"), gateway.get("/openapi.json")]

    assert [a.status_code for a in answers] == [404, 404, 405, 200]
    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value, (answer.status_code, name)
