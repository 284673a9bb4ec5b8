"""docs/blueprint.md against the migrated database's catalog: every row it lists exists as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import RUN_ID, create_database, drop_database, migrate

pytestmark = pytest.mark.schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "blueprint.md"
TABLE_HEADING = re.compile(r"^## `(\w+)`$")
CODE = re.compile(r"`([^`]*)`")

COLUMN_SQL = """
SELECT format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
       (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
        FROM pg_enum e WHERE e.enumtypid = a.atttypid) AS labels
FROM pg_attribute a
WHERE a.attrelid = to_regclass(:table) AND a.attname = :name AND a.attnum > 0 AND NOT a.attisdropped
"""
CONSTRAINT_SQL = """
SELECT pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = to_regclass(:table) AND conname = :name AND contype <> 'n'
"""
INDEX_SQL = """
SELECT pg_get_indexdef(x.indexrelid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = to_regclass(:table) AND i.relname = :name
"""
INDEX_PREFIX = re.compile(r"^CREATE (UNIQUE )?INDEX \S+ ON \S+ USING (\w+) ")


def describe(conn, table: str, name: str) -> str | None:
    """How the catalog defines `name` on `table` (a column, a constraint or an index), or None."""
    column = conn.execute(text(COLUMN_SQL), {"table": table, "name": name}).one_or_none()
    if column is not None:
        labels = f" ({column.labels})" if column.labels else ""
        return f"{column.type} {'NOT NULL' if column.not_null else 'NULL'}{labels}"
    constraint = conn.execute(text(CONSTRAINT_SQL), {"table": table, "name": name}).scalar_one_or_none()
    if constraint is not None:
        return constraint
    index = conn.execute(text(INDEX_SQL), {"table": table, "name": name}).scalar_one_or_none()
    if index is not None:
        def short(match: re.Match) -> str:
            method = "" if match[2] == "btree" else f"USING {match[2]} "
            return f"{match[1] or ''}{method}"
        return INDEX_PREFIX.sub(short, index)
    return None


def doc_rows() -> list[tuple[str, str, str, str]]:
    """(table, blueprint, name, definition) for every row of every table section."""
    rows, table = [], None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = TABLE_HEADING.match(line)
        if heading:
            table = heading[1]
        elif line.startswith("## "):
            table = None
        elif table and line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            assert len(cells) == 3, line
            blueprint, name, definition = (CODE.fullmatch(cell)[1] for cell in cells)
            rows.append((table, blueprint, name, definition))
    return rows


def deviation_objects() -> list[tuple[str, str]]:
    """(table, name) of every `table.name` the deviations section gives as what stands instead."""
    section = DOC.read_text(encoding="utf-8").split("\n## Deviations\n", 1)[1]
    found = []
    for line in section.splitlines():
        if line.startswith("| `"):
            instead = line.strip("|").split("|")[1]
            found += [tuple(ref.split(".", 1)) for ref in CODE.findall(instead)]
    return found


@pytest.fixture(scope="module")
def catalog():
    name = f"agenda_blueprint_doc_{RUN_ID}"
    url = create_database(name)
    migrate(url, "head")
    engine = create_engine(url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()
    drop_database(name)


def test_the_document_lists_every_blueprint_table():
    tables = {row[0] for row in doc_rows()}
    assert tables == {"users", "professionals", "professional_settings", "clients", "services",
                      "availability_blocks", "appointments", "appointment_requests", "notifications",
                      "audit_logs", "password_resets", "public_links", "appointment_series"}
    assert len(doc_rows()) > 120


def test_every_row_of_the_document_is_in_the_catalog_as_written(catalog):
    wrong = {f"{table}.{name}": (definition, describe(catalog, table, name))
             for table, _blueprint, name, definition in doc_rows()
             if describe(catalog, table, name) != definition}
    assert wrong == {}


def test_what_stands_in_for_each_deviation_exists(catalog):
    objects = deviation_objects()
    assert len(objects) >= 6
    assert [obj for obj in objects if describe(catalog, *obj) is None] == []


def test_the_blueprints_raw_tokens_are_not_stored(catalog):
    for table, column in (("password_resets", "token"), ("public_links", "token"),
                          ("appointments", "cancellation_token")):
        assert describe(catalog, table, column) is None
