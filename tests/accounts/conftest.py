"""Fixtures for the accounts tests: an HTTP client, sign-up and login helpers, database snapshots."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.accounts.helpers import from_ip, registration


@pytest.fixture
def client(gateway):
    """The whole local gateway, as a frontend would call it."""
    return gateway


@pytest.fixture
def register(client):
    """POST /auth/register with a valid body, overridable field by field."""

    def post(ip: str = "192.0.2.10", **overrides):
        return client.post("/auth/register", json=registration(**overrides), **from_ip(ip))

    return post


@pytest.fixture
def login(client):
    """POST /auth/login from a given address."""

    def post(email: str, password: str, ip: str = "192.0.2.20"):
        return client.post("/auth/login", json={"email": email, "password": password}, **from_ip(ip))

    return post


@pytest.fixture
def snapshot(db_engine, table_names):
    """Every row of every table, to prove a failed request changed nothing."""

    def take() -> dict[str, list]:
        with db_engine.connect() as conn:
            return {table: sorted(map(repr, conn.execute(text(f"SELECT * FROM {table}")).all()))
                    for table in table_names}

    return take


@pytest.fixture
def rows(db_engine):
    """Run a query on the test database and return its rows as mappings."""

    def query(sql: str, **params) -> list:
        with db_engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(sql), params).mappings()]

    return query
