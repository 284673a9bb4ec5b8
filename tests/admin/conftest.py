"""Admin fixtures: an operator account and its headers."""

from __future__ import annotations

import pytest

from tests.factories import bearer, make_admin


@pytest.fixture
def admin(uow):
    """A committed admin (operator) account."""
    user = make_admin(uow.session, email="operator@example.com")
    uow.commit()
    return user


@pytest.fixture
def admin_headers(admin):
    """Bearer headers of the `admin` fixture."""
    return bearer(admin)
