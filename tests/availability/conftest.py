"""Availability fixtures: professionals whose slots are open far ahead, services, and local dates."""

from __future__ import annotations

import pytest

from tests.factories import headers_for, make_professional, make_service


@pytest.fixture
def open_professional(uow):
    """A Madrid professional taking bookings up to a year ahead, with no minimum notice."""
    pro = make_professional(uow.session, email="open@example.com", public_slug="open-practice",
                            booking_advance_days=365, minimum_notice_minutes=0)
    uow.commit()
    return pro


@pytest.fixture
def headers(open_professional):
    return headers_for(open_professional)


@pytest.fixture
def service(uow, open_professional):
    """An active 60-minute service of the open professional."""
    row = make_service(uow.session, open_professional, name="Therapy", duration_minutes=60)
    uow.commit()
    return row
