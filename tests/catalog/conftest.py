"""Catalog fixtures: a logged-in professional's headers and a second tenant's objects."""

from __future__ import annotations

import pytest

from tests.factories import headers_for, make_client, make_service


@pytest.fixture
def headers(professional):
    """Bearer headers of the `professional` fixture."""
    return headers_for(professional)


@pytest.fixture
def service(uow, professional):
    """An active 60-minute service of the professional."""
    row = make_service(uow.session, professional, name="Therapy", duration_minutes=60, price="45.00")
    uow.commit()
    return row


@pytest.fixture
def client_row(uow, professional):
    """A client of the professional."""
    row = make_client(uow.session, professional, name="Ana García", email="ana@example.com")
    uow.commit()
    return row


@pytest.fixture
def foreign(uow, other_professional):
    """Another professional's service and client, which the `professional` must never reach."""
    service = make_service(uow.session, other_professional, name="Their service")
    client = make_client(uow.session, other_professional, name="Their client", email="theirs@example.com")
    uow.commit()
    return {"service": service, "client": client}
