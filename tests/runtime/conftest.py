"""The functions as the real faas-cli builds them, run under the real of-watchdog (runtime/watchdog.py)."""

from __future__ import annotations

import os

import pytest

from tests.conftest import TEST_REDIS_URL
from tests.factories import bearer, headers_for, make_admin, make_professional, make_service
from tests.runtime.watchdog import Deployment, runtime_venv, shrinkwrap


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """faas-cli build --shrinkwrap of the whole stack: build/<function>/ for each."""
    return shrinkwrap(tmp_path_factory.mktemp("shrinkwrap"))


@pytest.fixture(scope="session")
def deployment(build, db_url):
    """The stack's functions wired to the test database and Redis, with the suite's secrets."""
    secrets = {
        "agenda-database-url": db_url,
        "agenda-jwt-secret": os.environ["JWT_SECRET"],
        "agenda-link-secret": os.environ["LINK_SECRET"],
        "agenda-encryption-key": os.environ["ENCRYPTION_KEY"],
        "agenda-metrics-token": os.environ["METRICS_TOKEN"],
    }
    # REDIS_URL in stack.yml is the VPS's bridge address; everything else is as deployed.
    return Deployment(build=build, venv=runtime_venv(), secrets=secrets,
                      environment={"REDIS_URL": TEST_REDIS_URL})


@pytest.fixture
def world(uow):
    """A professional with one service, and an operator."""
    pro = make_professional(uow.session, email="pro@example.com", public_slug="runtime-practice")
    service = make_service(uow.session, pro)
    admin = make_admin(uow.session, email="operator@example.com")
    uow.commit()
    return {"pro": headers_for(pro), "admin": bearer(admin), "service_id": service.id,
            "slug": pro.public_slug}
