"""What the notifications endpoint accepts and returns, named by direction."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared import fields as agenda_fields
from shared.models import NotificationStatus


class NotificationQuery(Schema):
    """?status= and the creation-time window ?from= (inclusive) / ?to= (exclusive), RFC 3339."""

    status = fields.String(validate=validate.OneOf([s.value for s in NotificationStatus]))
    from_ = agenda_fields.AwareDateTime(data_key="from")
    to = agenda_fields.AwareDateTime()

    @validates_schema
    def _window(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["from_"] >= data["to"]:
            raise ValidationError("Must be later than from.", "to")


class NotificationRead(Schema):
    id = fields.Integer()
    type = fields.String()
    recipient = fields.String()
    status = fields.Enum(NotificationStatus, by_value=True)
    scheduled_for = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    attempts = fields.Integer()
    error_message = fields.String(allow_none=True)
    appointment_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
