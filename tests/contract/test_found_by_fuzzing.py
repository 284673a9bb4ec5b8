"""Requests the fuzzer (or a probe beside it) once got a 500 for, kept as plain regression tests."""

from __future__ import annotations

import pytest

CASES = [
    # A NUL character is valid JSON but refused by the database driver: 422, not 500.
    ("PUT", "/services/{service_id}", {"name": "Nul\u0000name"}, {}, 422),
    ("GET", "/clients", None, {"q": "nul\u0000"}, 422),
    # ... and no resource has one in its path.
    ("GET", "/professionals/a%00b/public", None, {}, 404),
    ("POST", "/public/professionals/%00/appointments", {"service_id": 1}, {}, 404),
]


@pytest.mark.parametrize(("method", "path", "body", "query", "status"), CASES,
                         ids=[f"{case[0]} {case[1]}" for case in CASES])
def test_answered_as_documented(method, path, body, query, status, world, gateway):
    kwargs = {"json": body} if body is not None else {}
    response = gateway.open(path.format(**world.a.ids), method=method, headers=world.a.headers,
                            query_string=query, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
