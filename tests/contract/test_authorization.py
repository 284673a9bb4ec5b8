"""Every cell of the authorization matrix, run against the real gateway with real objects of A and B."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis

from shared.openapi import build
from tests.contract.authorization_matrix import MATRIX, PRINCIPALS, Row
from tests.contract.world import snapshot

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
ALIASES = {"token": "appointment_token"}
OPENAPI = schemathesis.openapi.from_path(Path(__file__).resolve().parents[2] / "openfaas" / "openapi.json")


def resolve(value: Any, tenant) -> Any:
    """A's objects for the {placeholders} in a path, query value or body (ids stay integers)."""
    if isinstance(value, dict):
        return {key: resolve(item, tenant) for key, item in value.items()}
    if not isinstance(value, str):
        return value

    def lookup(name: str) -> Any:
        name = ALIASES.get(name, name)
        return tenant.ids[name] if name in tenant.ids else tenant.values[name]

    whole = _PLACEHOLDER.fullmatch(value)
    if whole:
        return lookup(whole[1])
    return _PLACEHOLDER.sub(lambda match: str(lookup(match[1])), value)


def headers_of(principal: str, world) -> dict[str, str]:
    by_principal = {"anonymous": {}, "a": world.a.headers, "b": world.b.headers, "admin": world.admin_headers}
    return by_principal[principal]


def test_every_route_has_a_row():
    routes = {(op.method, op.path) for op in build.discover()}
    rows = {(row.method, row.path) for row in MATRIX}
    assert routes - rows == set(), "routes without a row in tests/contract/authorization_matrix.py"
    assert rows - routes == set(), "rows of tests/contract/authorization_matrix.py without a route"
    assert len(rows) == len(MATRIX), "a route has two rows"


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: f"{row.method} {row.path}")
def test_authorization(row: Row, principal: str, world, gateway, session):
    expected = row.expect[PRINCIPALS.index(principal)]
    tenant_a = world.a.professional.id
    before = snapshot(session, tenant_a)
    session.rollback()
    kwargs: dict[str, Any] = {"headers": headers_of(principal, world),
                              "query_string": resolve(row.query, world.a)}
    if row.body is not None:
        kwargs["json"] = resolve(row.body, world.a)
    response = gateway.open(resolve(row.path, world.a), method=row.method, **kwargs)
    assert response.status_code == expected, response.get_data(as_text=True)
    operation = OPENAPI[row.path][row.method]
    assert str(expected) in operation.definition.raw["responses"], "the status is not documented"
    operation.validate_response(response)  # the body (and content type) are as documented
    # Nothing of A changes by B's hand, nor by anyone's refused attempt. (Public routes are excepted
    # for B: there B is just whoever holds A's page or client link.)
    if (principal == "b" and not row.public) or expected >= 400:
        after = snapshot(session, tenant_a)
        assert after == before, json.dumps({"changed": sorted(t for t in before if before[t] != after[t])})
