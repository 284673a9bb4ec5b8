"""The demo data `make run` loads: loaded once, and its printed login works."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from shared import models as m
from shared.db import unit_of_work
from shared.localdev.demo import load_demo


def test_demo_professional_loads_once_with_services_and_a_weekday_schedule(db_url):
    first, again = load_demo(), load_demo()

    assert first == again
    with unit_of_work() as uow:
        session = uow.session
        assert session.scalar(select(func.count()).select_from(m.User)) == 1
        professional = session.scalar(select(m.Professional))
        assert (professional.public_slug, professional.timezone) == (first["public_slug"], "Europe/Madrid")
        assert professional.address == "Calle Mayor 1, 28013 Madrid"
        assert session.scalar(select(func.count()).select_from(m.Service)) == 2
        blocks = session.execute(select(m.AvailabilityBlock.weekday, m.AvailabilityBlock.start_time,
                                        m.AvailabilityBlock.end_time)).all()
    hours = {(dt.time(9), dt.time(13)), (dt.time(15), dt.time(18))}
    assert sorted(blocks) == sorted((day, start, end) for day in range(5) for start, end in hours)


def test_demo_login_works_through_the_gateway(db_url, gateway):
    demo = load_demo()

    response = gateway.post("/auth/login", json={"email": demo["email"], "password": demo["password"]})

    assert response.status_code == 200
    assert response.get_json()["token_type"] == "Bearer"
