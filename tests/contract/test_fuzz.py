"""Fuzz every documented operation against the live gateway: never a 5xx, every answer as documented.

Each generated request is sent as the caller the operation is for (tenant A, or the admin on /admin/*);
fuzzed ones also anonymously; and schema-valid ones that name objects (by id in the path, query or body,
or by slug or token) once more with A's real ones, so that success bodies are checked too and not only
the 404s of made-up ids.
"""

from __future__ import annotations

import os
from pathlib import Path

import redis
import schemathesis

REPO = Path(__file__).resolve().parents[2]
CONFIG = schemathesis.Config.from_dict({
    "seed": 20270328,
    "suppress-health-check": ["all"],
    "generation": {"mode": "all", "max-examples": 10, "deterministic": True,
                   "with-security-parameters": False},
    # TRACE and the like are refused by the gateway (nginx on the VPS) before any function, without Allow.
    "phases": {"stateful": {"enabled": False},
               "coverage": {"unexpected-methods": ["GET", "PUT", "POST", "DELETE", "PATCH"]}},
    # Schema-valid input may still be refused for what a schema cannot say (unknown ids, one of two fields).
    "checks": {"positive_data_acceptance": {"enabled": False}},
})
schema = schemathesis.openapi.from_path(REPO / "openfaas" / "openapi.json", config=CONFIG)

# A URL longer than the HTTP server's request line (gunicorn's 4094 bytes, nginx's 8k on the VPS) is
# refused before any function sees it; only made-up negative data gets there.
URI_TOO_LONG = 414

# Path parameters that are not ids, by name: which of A's values stands in for them.
VALUES = {"slug": "slug", "token": "appointment_token", "feed_token": "feed_token"}
IDS_IN_QUERY_AND_BODY = {"service_id", "client_id"}


def caller_headers(case, world) -> dict[str, str]:
    """The Authorization header of an operation's rightful caller (none for public operations)."""
    security = case.operation.definition.raw.get("security") or []
    schemes = {name for requirement in security for name in requirement}
    if "metricsToken" in schemes:
        return {"Authorization": f"Bearer {os.environ['METRICS_TOKEN']}"}
    if "bearerAuth" in schemes:
        return world.admin_headers if case.path.startswith("/admin/") else world.a.headers
    return {}


def use_real_objects(case, world) -> bool:
    """Point the case's path parameters, and ids in its query and body, at A's objects; False if none."""
    a = world.a
    replaced = False
    if case.path_parameters:
        case.path_parameters = {name: a.ids[name] if name in a.ids else a.values[VALUES[name]]
                                for name in case.path_parameters}
        replaced = True
    for container in (case.query, case.body):
        if isinstance(container, dict):
            for name in container.keys() & IDS_IN_QUERY_AND_BODY:
                container[name] = a.ids[name]
                replaced = True
    return replaced


@schema.parametrize()
def test_api_conforms_to_its_document(case, live_gateway, world):
    limits = redis.Redis.from_url(os.environ["RATE_LIMIT_STORAGE_URL"])

    def send(headers: dict[str, str]) -> None:
        limits.flushdb()  # the limits would otherwise answer most of the run with 429
        response = case.call(base_url=live_gateway.url, headers=headers)
        if response.status_code == URI_TOO_LONG:
            return
        if response.status_code >= 500:  # about to fail: shown under "Captured stdout call"
            print(live_gateway.traceback(response.headers.get("x-request-id", [""])[0]))
        case.validate_response(response, headers=headers,
                               transport_kwargs={"base_url": live_gateway.url, "headers": headers})

    headers = caller_headers(case, world)
    send(headers)
    if headers and case.meta is not None and case.meta.phase.name.value == "fuzzing":
        send({})  # anonymous
    positive = case.meta is None or case.meta.generation.mode.name == "POSITIVE"
    if positive and use_real_objects(case, world):
        send(headers)
