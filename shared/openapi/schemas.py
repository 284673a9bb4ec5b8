"""Bodies documented in the API that no domain schema describes: problems and a few fixed answers."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields


class Problem(Schema):
    """An RFC 9457 problem document (application/problem+json); other members may be added."""

    class Meta:
        unknown = INCLUDE  # documented as additionalProperties: true (e.g. the health checks on a 503)

    type = fields.String(required=True, metadata={"format": "uri"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "Messages by field, for 422 (and some 409) problems."})
    request_id = fields.String(required=True, allow_none=True,
                               metadata={"description": "Quote it when reporting a problem."})


class HealthRead(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)
    redis = fields.String(required=True, metadata={"description": "ok, or not_configured"})


class PingRead(Schema):
    """An authenticated request that reached the database (the benchmarks' floor)."""

    status = fields.String(required=True)


class DetailRead(Schema):
    """A sentence for the user, when the outcome cannot be told (e.g. whether an account exists)."""

    detail = fields.String(required=True)


class ReminderSweepRead(Schema):
    due = fields.Integer(required=True)
    enqueued = fields.Integer(required=True)
