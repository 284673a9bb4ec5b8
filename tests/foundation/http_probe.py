"""A tiny app built with create_app whose routes exercise every path of the HTTP layer."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, g
from marshmallow import Schema, fields, validate
from sqlalchemy import text

from shared import errors
from shared import fields as agenda_fields
from shared.db import unit_of_work
from shared.http import (
    body_bytes,
    create_app,
    created,
    dump,
    no_content,
    optional_auth,
    page,
    page_params,
    parse_body,
    parse_query,
    require_admin,
    require_professional,
)

ALLOWED_ORIGIN = "https://app.agenda.example"
BODY_LIMIT = 2048
SETTINGS = SimpleNamespace(cors_origins=(ALLOWED_ORIGIN,), max_body_bytes=BODY_LIMIT)

# Statements that break a constraint of a temporary table: real PostgreSQL errors, not fakes.
VIOLATIONS = {
    "exclusion": [
        "CREATE TEMP TABLE probe_booking (during tstzrange NOT NULL, EXCLUDE USING gist (during WITH &&))",
        "INSERT INTO probe_booking VALUES (tstzrange('2027-03-28 09:00+00', '2027-03-28 10:00+00', '[)'))",
        "INSERT INTO probe_booking VALUES (tstzrange('2027-03-28 09:30+00', '2027-03-28 10:30+00', '[)'))",
    ],
    "unique": [
        "CREATE TEMP TABLE probe_person (email text UNIQUE)",
        "INSERT INTO probe_person VALUES ('secret-ana@example.com')",
        "INSERT INTO probe_person VALUES ('secret-ana@example.com')",
    ],
    "foreign_key": [
        "CREATE TEMP TABLE probe_parent (id int PRIMARY KEY)",
        "CREATE TEMP TABLE probe_child (parent_id int REFERENCES probe_parent (id))",
        "INSERT INTO probe_child VALUES (42)",
    ],
    "check": [
        "CREATE TEMP TABLE probe_price (price numeric CHECK (price >= 0))",
        "INSERT INTO probe_price VALUES (-1)",
    ],
    "out_of_range": ["SELECT 2147483648::int"],
}

DOMAIN_ERRORS = {
    "not_found": errors.NotFound("No such appointment."),
    "conflict": errors.Conflict("The appointment is already cancelled."),
    "validation": errors.ValidationFailed(errors={"end_time": ["Must be after start_time."]}),
    "bad_request": errors.BadRequest("That token is malformed."),
    "unauthenticated": errors.Unauthenticated("Log in first."),
    "forbidden": errors.Forbidden("Admins only."),
    "gone": errors.Gone("This link has expired."),
    "rate_limited": errors.RateLimited(retry_after=37),
    "unavailable": errors.ServiceUnavailable("The queue is down."),
    "overlap": errors.Conflict("That time is taken.", slug="overlap"),
}


class ItemCreate(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    quantity = fields.Integer(required=True, validate=validate.Range(min=1))
    starts_at = agenda_fields.AwareDateTime(required=True)
    price = agenda_fields.Price(load_default=None)
    password = fields.String(load_default=None)
    notes = fields.String(load_default=None)


class ItemRead(Schema):
    id = fields.Integer()
    name = fields.String()
    starts_at = agenda_fields.AwareDateTime()
    price = agenda_fields.Price()


class ItemFilter(Schema):
    status = fields.String(validate=validate.OneOf(["open", "closed"]))
    day = agenda_fields.Date()
    tag = fields.List(fields.String())


bp = Blueprint("probe", __name__)


@bp.post("/items")
def create_item():
    """Create an item from a validated body."""
    item = parse_body(ItemCreate)
    item["id"] = 7
    return created(dump(ItemRead, item), f"/items/{item['id']}")


@bp.patch("/items/<int:item_id>")
def patch_item(item_id: int):
    """Partially update an item."""
    return {"id": item_id, "changed": sorted(parse_body(ItemCreate, partial=True))}


@bp.get("/items")
def list_items():
    """List items with filters and paging."""
    filters = parse_query(ItemFilter)
    limit, offset = page_params()
    return page([{"filters": {k: str(v) for k, v in filters.items()}}], 1, limit, offset)


@bp.delete("/items/<int:item_id>")
def delete_item(item_id: int):
    """Delete an item."""
    return no_content()


@bp.get("/raise/<name>")
def raise_domain_error(name: str):
    """Raise one of the domain exceptions."""
    raise DOMAIN_ERRORS[name]


@bp.post("/violate/<name>")
def violate(name: str):
    """Run SQL that breaks a constraint in the real database."""
    with unit_of_work() as uow:
        for statement in VIOLATIONS[name]:
            uow.session.execute(text(statement))
        uow.commit()
    return no_content()


@bp.post("/db-bug")
def database_bug():
    """Run a query that fails for a reason no client caused."""
    with unit_of_work() as uow:
        uow.session.execute(text("SELECT * FROM no_such_table WHERE name = :name"),
                            {"name": "top-secret-parameter"})
    return no_content()


@bp.get("/boom")
def boom():
    """Fail the way a bug would."""
    raise RuntimeError("secret internals: password=hunter2")


@bp.post("/echo-size")
def echo_size():
    """Read the raw body and report its size."""
    return {"size": len(body_bytes())}


@bp.get("/pro")
@require_professional
def pro_only():
    """A professional-only view."""
    return {"user_id": g.principal.user_id, "professional_id": g.principal.professional_id,
            "role": g.principal.role}


@bp.get("/admin")
@require_admin
def admin_only():
    """An admin-only view."""
    return {"user_id": g.principal.user_id, "role": g.principal.role}


@bp.get("/maybe")
@optional_auth
def maybe_authenticated():
    """A view for anyone; it says who is calling when a token is sent."""
    return {"user_id": g.principal.user_id if g.principal else None}


def make_app():
    """The probe app with a small body limit and one allowed CORS origin."""
    return create_app("probe", bp, settings=SETTINGS)
