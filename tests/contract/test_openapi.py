"""The published OpenAPI document: up to date, complete, valid OpenAPI 3.1, and served by the gateway."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import jsonschema_rs
import pytest
import schemathesis

from shared.openapi import build, routes

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "openfaas" / "openapi.json"


@pytest.fixture(scope="module")
def generated() -> str:
    return build.render()


def test_committed_document_is_the_generated_one(generated):
    assert COMMITTED.read_text(encoding="utf-8") == generated, (
        "openfaas/openapi.json is out of date: run `make openapi` and commit the result")


def test_every_route_of_every_function_has_a_row_and_every_row_a_route():
    operations = build.discover()  # raises RoutesMismatch naming each route or row left over
    assert len({(op.method, op.path) for op in operations}) == len(operations)


def test_pages_are_not_part_of_the_api():
    paths = {op.path for op in build.discover()}
    assert not any(path.startswith(("/book", "/manage", "/reset-password", "/requests")) for path in paths)
    assert "/public/professionals/{slug}/slots" in paths


def test_a_route_without_a_row_is_refused(monkeypatch):
    monkeypatch.setattr(routes, "ROUTES", [row for row in routes.ROUTES if row.rule != "/services"])
    with pytest.raises(build.RoutesMismatch, match=r"route without a row: catalog: GET /services"):
        build.discover()


def test_a_row_without_a_route_is_refused(monkeypatch):
    extra = routes.Route("catalog", "GET", "/services/<int:service_id>/photos", routes.PROFESSIONAL, None)
    monkeypatch.setattr(routes, "ROUTES", [*routes.ROUTES, extra])
    with pytest.raises(build.RoutesMismatch, match=r"row without a route: catalog: GET /services/<int"):
        build.discover()


def test_every_operation_is_documented(generated):
    document = json.loads(generated)
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert documented == {(op.method, op.path) for op in build.discover()}


def test_document_is_valid_openapi_3_1(generated):
    document = json.loads(generated)
    assert document["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(document).validate()  # the OpenAPI 3.1 meta-schema
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name  # each a valid JSON Schema 2020-12
    operation_ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids)), "operationId must be unique"


def _typed(schema: dict) -> bool:
    return any(key in schema for key in ("type", "$ref", "anyOf", "oneOf", "allOf", "const", "enum"))


def test_every_field_and_parameter_has_a_type(generated):
    """A custom marshmallow field apispec cannot place becomes {}: map it in shared/openapi/build.py."""
    document = json.loads(generated)
    untyped = [f"{name}.{prop}" for name, schema in document["components"]["schemas"].items()
               for prop, value in schema.get("properties", {}).items() if not _typed(value)]
    untyped += [f"{method.upper()} {path} ?{parameter['name']}" for path, item in document["paths"].items()
                for method, operation in item.items() for parameter in operation.get("parameters", [])
                if not _typed(parameter["schema"])]
    assert untyped == []


def test_every_error_is_a_problem_and_every_answer_names_its_request_id(generated):
    document = json.loads(generated)
    responses = document["components"]["responses"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                response = responses[response["$ref"].rsplit("/", 1)[-1]] if "$ref" in response else response
                assert "X-Request-ID" in response["headers"], (method, path, status)
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)


def test_gateway_serves_the_document(live_gateway):
    with urllib.request.urlopen(f"{live_gateway.url}/openapi.json") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert response.read().decode("utf-8") == COMMITTED.read_text(encoding="utf-8")
