"""Request bodies through the real of-watchdog, which forwards them chunked (no Content-Length)."""

from __future__ import annotations

import httpx
import pytest

from shared.localdev.gateway import load_stack

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def catalog(deployment, tmp_path_factory):
    with deployment.run("catalog", tmp_path_factory.mktemp("catalog")) as running:
        yield running


def _chunks(body: bytes, size: int = 1000):
    for start in range(0, len(body), size):
        yield body[start:start + size]


def test_chunked_body_reaches_the_app(catalog, world):
    body = b'{"name": "Chunked session", "duration_minutes": 45, "price": "30.00"}'
    created = httpx.post(catalog.url + "/services", content=_chunks(body, 16), timeout=30,
                         headers={**world["pro"], "Content-Type": "application/json"})
    listed = httpx.get(catalog.url + "/services", headers=world["pro"], timeout=30)
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "Chunked session"
    assert "Chunked session" in [item["name"] for item in listed.json()["items"]]


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_over_limit_body_is_413_problem(catalog, world, chunked):
    limit = int(load_stack()["functions"]["catalog"]["environment"]["MAX_BODY_BYTES"])
    body = b'{"name": "' + b"x" * limit + b'", "duration_minutes": 45, "price": "30.00"}'
    response = httpx.post(catalog.url + "/services", content=_chunks(body) if chunked else body, timeout=30,
                          headers={**world["pro"], "Content-Type": "application/json"})
    listed = httpx.get(catalog.url + "/services", headers=world["pro"], timeout=30)
    assert response.status_code == 413, response.text
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["status"] == 413
    assert listed.json()["total"] == 1  # only the world's own service
