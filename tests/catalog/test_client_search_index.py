"""The client search is served by the trigram GIN indexes, proven with the planner's own choice."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from shared.db import get_engine

ROWS = 20_000


@pytest.fixture
def crowded(uow, professional, other_professional):
    """20,000 clients with varied names and emails split between two professionals, vacuumed and analyzed.

    VACUUM moves the rows out of the GIN indexes' pending list and records their statistics, as
    autovacuum does on a live table; the planner then costs the trigram indexes on real numbers.
    """
    uow.session.execute(text("""
        INSERT INTO clients (professional_id, name, email)
        SELECT CASE WHEN i % 4 = 0 THEN :other ELSE :mine END,
               initcap(substr(md5(i::text), 1, 8)) || ' ' || initcap(substr(md5((i * 7)::text), 1, 10)),
               substr(md5((i * 13)::text), 1, 12) || '@' || substr(md5((i * 17)::text), 1, 6) || '.test'
        FROM generate_series(1, :rows) AS i
    """), {"mine": professional.id, "other": other_professional.id, "rows": ROWS})
    uow.session.execute(text(
        "INSERT INTO clients (professional_id, name, email) VALUES"
        " (:mine, 'Zoraida Quintanilla', 'zoraida@quintanilla.test'),"
        " (:mine, 'Quintín Zubiri', 'qz@zubiri.test')"
    ), {"mine": professional.id})
    uow.commit()
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE clients"))


def planned(gateway, headers, query: str) -> tuple[list[str], str]:
    """Call the endpoint, capture the page query it ran, and return the matched names and its plan."""
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM clients" in statement and "LIMIT" in statement:
            captured.append((statement, parameters))

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        response = gateway.get(f"/clients?{query}", headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert response.status_code == 200
    assert len(captured) == 1
    statement, parameters = captured[0]
    with engine.connect() as conn:
        plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
    return [item["name"] for item in response.get_json()["items"]], plan


def test_name_search_uses_the_name_trigram_index(gateway, headers, crowded):
    found, plan = planned(gateway, headers, "name=quintan")

    assert found == ["Zoraida Quintanilla"]
    assert "ix_clients_name_trgm" in plan, plan


def test_email_search_uses_the_email_trigram_index(gateway, headers, crowded):
    found, plan = planned(gateway, headers, "email=zubiri")

    assert found == ["Quintín Zubiri"]
    assert "ix_clients_email_trgm" in plan, plan


def test_q_search_uses_both_trigram_indexes(gateway, headers, crowded):
    found, plan = planned(gateway, headers, "q=quint")

    assert found == ["Quintín Zubiri", "Zoraida Quintanilla"]
    assert "ix_clients_name_trgm" in plan and "ix_clients_email_trgm" in plan, plan
