"""The OpenAPI 3.1 document, from the functions' url_maps, the routes table and the marshmallow schemas."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import marshmallow
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls

from shared import fields as agenda_fields
from shared.http.parsing import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET
from shared.http.problems import BY_STATUS, PROBLEM_MEDIA_TYPE
from shared.localdev.gateway import import_function_app, load_stack, root_routes, route_for
from shared.openapi import routes as table
from shared.openapi.schemas import Problem

TITLE = "Agenda API"
VERSION = "0.1.0"
JSON = "application/json"
IGNORED_METHODS = {"HEAD", "OPTIONS"}  # answered by Flask itself for every rule
# Every operation may answer these (a database or Redis that is down).
ALWAYS = (503,)
PROBLEM_HEADERS = {401: "WWW-Authenticate", 429: "Retry-After", 503: "Retry-After"}
_PLACEHOLDER = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")

DESCRIPTION = """\
Booking backend for independent professionals. JSON in and out; datetimes are RFC 3339 with an
offset, dates YYYY-MM-DD, times HH:MM, prices decimal strings. Every error is an
application/problem+json document; every response carries X-Request-ID. An empty query
parameter (?q=) counts as one left out.

Paths are given at the gateway root, as nginx maps them to functions; each also works under the
owning function's OpenFaaS URL, /function/<name>/<path>. Every function serves its own /metrics at
/function/<name>/metrics (the root /metrics is the health function's).
"""

ROLE_NOTES = {
    table.PROFESSIONAL: "Professional accounts only; an admin's token gets 403.",
    table.ADMIN: "Admin accounts only; a professional's token gets 403.",
    table.USER: "Any logged-in account.",
    table.METRICS: "The deployment's metrics token (404 when metrics are not enabled).",
}
SECURITY = {
    table.PROFESSIONAL: [{"bearerAuth": []}],
    table.ADMIN: [{"bearerAuth": []}],
    table.USER: [{"bearerAuth": []}],
    table.METRICS: [{"metricsToken": []}],
    table.NONE: [],
}


class RoutesMismatch(RuntimeError):
    """The functions' url_maps and shared.openapi.routes.ROUTES disagree."""


@dataclass(frozen=True)
class Operation:
    """A route found in a function's url_map, matched to its row of the table."""

    function: str
    method: str
    rule: str
    path: str  # as documented: at the gateway root, or /function/<name>/... when nginx has no route
    endpoint: str
    converters: dict[str, str]
    summary: str
    row: table.Route


def discover(stack: dict[str, Any] | None = None) -> list[Operation]:
    """Every (function, method, rule) of the stack's functions, matched to the table; raises on a mismatch."""
    stack = stack or load_stack()
    routing = root_routes(stack)
    rows = {(row.function, row.method, row.rule): row for row in table.ROUTES}
    used: set[tuple[str, str, str]] = set()
    missing: list[str] = []
    operations: list[Operation] = []
    for function in stack["functions"]:
        app = import_function_app(function)
        for rule in app.url_map.iter_rules():
            if rule.endpoint.partition(".")[0] in table.PAGE_BLUEPRINTS:
                continue
            view = app.view_functions[rule.endpoint]
            for method in sorted(rule.methods - IGNORED_METHODS):
                candidates = ((function, method, rule.rule), (table.EVERY_FUNCTION, method, rule.rule))
                key = next((k for k in candidates if k in rows), None)
                if key is None:
                    missing.append(f"{function}: {method} {rule.rule}")
                    continue
                used.add(key)
                if key[0] == table.EVERY_FUNCTION and route_for(rule.rule, routing) != function:
                    continue  # documented once, where nginx sends the root path
                converters = {name: type(conv).__name__ for name, conv in rule._converters.items()}
                operations.append(Operation(
                    function=function, method=method, rule=rule.rule,
                    path=_documented_path(function, rule.rule, routing), endpoint=rule.endpoint,
                    converters=converters, summary=_first_line(view.__doc__), row=rows[key],
                ))
    unused = [f"{f}: {m} {r}" for (f, m, r) in rows if (f, m, r) not in used]
    if missing or unused:
        raise RoutesMismatch(
            "shared/openapi/routes.py does not match the functions' routes."
            + "".join(f"\n  route without a row: {item}" for item in missing)
            + "".join(f"\n  row without a route: {item}" for item in unused)
        )
    return sorted(operations, key=lambda op: (op.path, op.method))


def _documented_path(function: str, rule: str, routing: list[tuple[str, str]]) -> str:
    path = _PLACEHOLDER.sub(lambda m: "{" + m["name"] + "}", rule)
    if route_for(rule, routing) == function:
        return path
    return f"/function/{function}{path}"


# Schema names -----------------------------------------------------------------------------------------


def _schema_classes(base: type = marshmallow.Schema) -> Iterable[type]:
    for cls in base.__subclasses__():
        yield cls
        yield from _schema_classes(cls)


def _name_resolver() -> Any:
    """Component names are class names; a name two domains share gets the domain in front."""
    seen: dict[str, set[type]] = {}
    for cls in _schema_classes():
        if cls.__module__.startswith("shared."):
            seen.setdefault(cls.__name__, set()).add(cls)
    shared_names = {name for name, classes in seen.items() if len(classes) > 1}

    def resolve(schema: Any) -> str:
        cls = resolve_schema_cls(schema)
        if cls.__name__ in shared_names:
            return cls.__module__.split(".")[1].title() + cls.__name__
        return cls.__name__

    return resolve


def _map_fields(plugin: MarshmallowPlugin) -> None:
    """Fields whose JSON form apispec cannot infer from their marshmallow base class."""
    plugin.map_to_openapi_type(agenda_fields.Decimal, "string", None)  # "45.00": decimals as strings
    converter = plugin.converter

    def properties(_converter: Any, field: marshmallow.fields.Field, ret: dict, **kwargs: Any) -> dict:
        if isinstance(field, agenda_fields.Time):
            return {"pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "example": "09:30"}
        if isinstance(field, agenda_fields.Decimal):
            return {"pattern": r"^-?\d+(\.\d+)?$", "example": "45.00"}
        if isinstance(field, marshmallow.fields.Constant):
            return {"const": field.constant}
        if _either_date_or_datetime(field):
            ret.pop("format", None)
            return {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}],
                    "description": "A date (YYYY-MM-DD) or an RFC 3339 datetime with an offset."}
        return {}

    converter.add_attribute_function(properties)


def _either_date_or_datetime(field: marshmallow.fields.Field) -> bool:
    from shared.availability.schemas import Moment

    return isinstance(field, (agenda_fields.DateOrDateTime, Moment))


# The document -----------------------------------------------------------------------------------------


def build_document(operations: list[Operation] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document as a dict."""
    operations = discover() if operations is None else operations
    plugin = MarshmallowPlugin(schema_name_resolver=_name_resolver())
    spec = APISpec(title=TITLE, version=VERSION, openapi_version="3.1.0", plugins=[plugin],
                   info={"description": DESCRIPTION},
                   servers=[{"url": "/", "description": "The gateway root (nginx on the VPS, or make run)."}])
    _map_fields(plugin)
    _components(spec)
    by_path: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for op in operations:
        operation = by_path.setdefault(op.path, {})[op.method.lower()] = _operation(spec, op)
        base, n = operation["operationId"], 1
        while operation["operationId"] in operation_ids:  # one view serving two rules
            n += 1
            operation["operationId"] = f"{base}_{n}"
        operation_ids.add(operation["operationId"])
    for path, ops in by_path.items():
        spec.path(path=path, operations=ops)
    for function in sorted({op.function for op in operations}):
        module = sys.modules.get(f"functions.{function}.handler")
        spec.tag({"name": function, "description": _first_line(module.__doc__ if module else None)})
    document = spec.to_dict()
    _allow_empty_query_values(document)
    _require_read_fields(document)
    return document


def render() -> str:
    """The document as the committed file holds it: sorted keys, two-space indent, final newline."""
    return json.dumps(build_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _first_line(docstring: str | None) -> str:
    lines = (docstring or "").strip().splitlines()
    return lines[0] if lines else ""


def _components(spec: APISpec) -> None:
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "An access token from POST /auth/login, /auth/register or /auth/refresh.",
    })
    spec.components.security_scheme("metricsToken", {
        "type": "http", "scheme": "bearer", "description": "The deployment's METRICS_TOKEN.",
    })
    spec.components.header("X-Request-ID", {
        "description": "The request's id (the caller's own when it sent a sane one); quote it in reports.",
        "schema": {"type": "string"},
    })
    spec.components.header("Location", {"description": "The new resource's URL.",
                                        "schema": {"type": "string"}})
    spec.components.header("Retry-After", {"description": "Seconds to wait before trying again.",
                                           "schema": {"type": "string", "pattern": r"^\d+$"}})
    spec.components.header("WWW-Authenticate", {"description": "Bearer", "schema": {"type": "string"}})
    spec.components.schema("Problem", schema=Problem)
    for status, kind in sorted(BY_STATUS.items()):
        if status == 500:
            continue  # never documented: a 500 is a bug
        headers = {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}}
        if status in PROBLEM_HEADERS:
            name = PROBLEM_HEADERS[status]
            headers[name] = {"$ref": f"#/components/headers/{name}"}
        spec.components.response(_problem_name(status), {
            "description": f"{kind.title}: {kind.detail}",
            "headers": headers,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        })


def _problem_name(status: int) -> str:
    return "".join(word for word in BY_STATUS[status].title.title().split() if word.isalnum())


def _ref(spec: APISpec, schema: type[marshmallow.Schema]) -> dict[str, str]:
    """A $ref to the schema's component, registering it on first use."""
    name = _plugin_name(spec, schema)
    if name not in spec.components.schemas:
        spec.components.schema(name, schema=schema)
    return {"$ref": f"#/components/schemas/{name}"}


def _plugin_name(spec: APISpec, schema: type[marshmallow.Schema]) -> str:
    plugin = next(p for p in spec.plugins if isinstance(p, MarshmallowPlugin))
    return plugin.schema_name_resolver(schema)


def _page_ref(spec: APISpec, page: table.Page) -> dict[str, str]:
    item = _ref(spec, page.item)
    name = _plugin_name(spec, page.item) + "Page"
    if name not in spec.components.schemas:
        count = {"type": "integer", "minimum": 0}
        spec.components.schema(name, {
            "type": "object",
            "description": "One page of a list, and where it sits in the whole.",
            "properties": {"items": {"type": "array", "items": item}, "total": count,
                           "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "offset": count},
            "required": ["items", "total", "limit", "offset"],
            "additionalProperties": False,
        })
    return {"$ref": f"#/components/schemas/{name}"}


def _body_schema(spec: APISpec, response: table.Response) -> dict[str, Any]:
    if isinstance(response, table.Page):
        return _page_ref(spec, response)
    if isinstance(response, tuple):
        return {"oneOf": [_ref(spec, schema) for schema in response]}
    return _ref(spec, response)


def _operation(spec: APISpec, op: Operation) -> dict[str, Any]:
    row = op.row
    name = op.endpoint.rsplit(".", 1)[-1]
    operation: dict[str, Any] = {
        "operationId": "metrics" if row.function == table.EVERY_FUNCTION else f"{op.function}.{name}",
        "tags": [op.function],
        "summary": op.summary,
        "security": SECURITY[row.auth],
        "responses": _responses(spec, op),
    }
    if parameters := _parameters(op):
        operation["parameters"] = parameters
    # Rules a schema cannot state (e.g. ?date= or ?from=&to=) are in the query schema's docstring.
    notes = [ROLE_NOTES.get(row.auth, ""), _first_line(row.query.__doc__ if row.query else None)]
    if any(notes):
        operation["description"] = " ".join(note for note in notes if note)
    if row.body is not None:
        operation["requestBody"] = {"required": row.body_required,
                                    "content": {JSON: {"schema": _ref(spec, row.body)}}}
    return operation


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name, converter in op.converters.items():
        schema = ({"type": "integer", "minimum": 0, "maximum": 2**63 - 1} if converter == "IntegerConverter"
                  else {"type": "string", "minLength": 1, "pattern": "^[^/]+$"})
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if op.row.query is not None:
        params.append({"in": "query", "schema": op.row.query})
    if op.row.takes_paging:
        params.append({"name": "limit", "in": "query", "required": False, "description": "Page length.",
                       "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                  "default": DEFAULT_LIMIT}})
        params.append({"name": "offset", "in": "query", "required": False, "description": "Items to skip.",
                       "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}})
    return params


def _problem_statuses(op: Operation) -> set[int]:
    row = op.row
    statuses = set(row.problems) | set(ALWAYS)
    if row.auth != table.NONE:
        statuses.add(401)
    if row.auth in (table.PROFESSIONAL, table.ADMIN):
        statuses.add(403)
    if row.body is not None:
        statuses |= {400, 413, 415, 422}
    if row.query is not None or row.takes_paging:
        statuses.add(422)
    if op.converters:
        statuses.add(404)
    return statuses


def _responses(spec: APISpec, op: Operation) -> dict[str, Any]:
    row = op.row
    request_id = {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}}
    responses: dict[str, Any] = {}
    for status, body in ((row.status, row.response), *row.also):
        response: dict[str, Any] = {"description": _success_description(status), "headers": dict(request_id)}
        if status == 201:
            response["headers"]["Location"] = {"$ref": "#/components/headers/Location"}
        if body in (table.TEXT, table.CALENDAR):
            response["content"] = {body: {"schema": {"type": "string"}}}
        elif body is not None:
            response["content"] = {JSON: {"schema": _body_schema(spec, body)}}
        responses[str(status if body is not None else 204)] = response
    for status in sorted(_problem_statuses(op)):
        responses[str(status)] = {"$ref": f"#/components/responses/{_problem_name(status)}"}
    return responses


def _success_description(status: int) -> str:
    return {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content"}[status]


def _allow_empty_query_values(document: dict[str, Any]) -> None:
    """shared.http reads an empty query parameter (?q=) as one left out."""
    for path_item in document["paths"].values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True


def _require_read_fields(document: dict[str, Any]) -> None:
    """Answers carry every field of their schema: say so, so that clients (and the fuzzer) may rely on it."""
    schemas = document["components"]["schemas"]
    in_requests: set[str] = set()
    pending = [media["schema"] for item in document["paths"].values() for op in item.values()
               for media in op.get("requestBody", {}).get("content", {}).values()]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            name = ref.rsplit("/", 1)[-1]
            if ref.startswith("#/components/schemas/") and name not in in_requests:
                in_requests.add(name)
                pending.append(schemas[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    for name, schema in schemas.items():
        if name not in in_requests and "properties" in schema and "required" not in schema:
            schema["required"] = sorted(schema["properties"])
