"""PostgreSQL faults on an embedded server of the test's own: a table lock held by another session, a
deliberately slow statement and a stopped (SIGSTOP) server each give a 503 problem with Retry-After,
well inside the request time, and the next request after the fault is served again."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.appointments.conftest import future_weekday
from tests.conftest import migrate
from tests.faults.conftest import wait_until
from tests.faults.practice import make_practice

DATABASE = "agenda_faults"
STATEMENT_TIMEOUT_MS, LOCK_TIMEOUT_MS = 1000, 300
# The watchdog cuts a request off at 15 s; the answer must come well before (httpx raises otherwise).
REQUEST_BUDGET_SECONDS = 10


@pytest.fixture(scope="module")
def faults_database(own_postgres):
    url = own_postgres.url(DATABASE)
    migrate(url)
    return url


@pytest.fixture
def practice(faults_database, own_postgres):
    engine = create_engine(faults_database)
    with Session(engine) as session:
        made = make_practice(session)
    engine.dispose()
    yield made
    from shared.models import Base

    with psycopg.connect(own_postgres.libpq_url(DATABASE), autocommit=True) as admin:
        admin.execute(f"TRUNCATE {', '.join(Base.metadata.tables)} CASCADE")


@pytest.fixture(scope="module")
def client(gateway_server, faults_database):
    server = gateway_server(env={"DATABASE_URL": faults_database,
                                 "DATABASE_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS),
                                 "DATABASE_LOCK_TIMEOUT_MS": str(LOCK_TIMEOUT_MS)})
    with server.client(timeout=REQUEST_BUDGET_SECONDS) as http:
        yield http


def slots(client, practice):
    return client.get(f"/public/professionals/{practice.slug}/slots",
                      params={"service_id": practice.service_id, "date": future_weekday().isoformat()})


def book(client, practice, start):
    return client.post(f"/public/professionals/{practice.slug}/appointments", json={
        "service_id": practice.service_id, "start_datetime": start, "name": "Eva",
        "email": "eva@example.com"})


def assert_unavailable(response) -> None:
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/service-unavailable")
    assert int(response.headers["Retry-After"]) > 0


def test_a_table_lock_held_by_another_session_gives_503(client, practice, own_postgres):
    assert slots(client, practice).status_code == 200

    with psycopg.connect(own_postgres.libpq_url(DATABASE)) as locker:
        locker.execute("LOCK TABLE professionals IN ACCESS EXCLUSIVE MODE")
        assert_unavailable(slots(client, practice))
        locker.rollback()

    assert slots(client, practice).status_code == 200


def test_a_slow_statement_gives_503_and_writes_nothing(client, practice, own_postgres):
    start = slots(client, practice).json()["slots"][0]["start_datetime"]
    with psycopg.connect(own_postgres.libpq_url(DATABASE), autocommit=True) as admin:
        admin.execute("CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql "
                      "AS $$ BEGIN PERFORM pg_sleep(60); RETURN NEW; END $$")
        admin.execute("CREATE TRIGGER slow_clients BEFORE INSERT ON clients "
                      "FOR EACH ROW EXECUTE FUNCTION slow_down()")
        try:
            assert_unavailable(book(client, practice, start))
            assert admin.execute("SELECT count(*) FROM appointments").fetchone() == (0,)
            assert admin.execute("SELECT count(*) FROM clients").fetchone() == (0,)
        finally:
            admin.execute("DROP TRIGGER slow_clients ON clients")
            admin.execute("DROP FUNCTION slow_down()")

    assert book(client, practice, start).status_code == 201


def test_a_stopped_server_gives_503_and_service_resumes_when_it_is_back(client, practice, own_postgres):
    assert slots(client, practice).status_code == 200

    own_postgres.hang()
    try:
        assert_unavailable(slots(client, practice))  # a pooled connection that no longer answers
        assert_unavailable(slots(client, practice))  # and a new connection the server never accepts
    finally:
        own_postgres.resume()

    wait_until(lambda: slots(client, practice).status_code == 200, "service after the server resumed")
