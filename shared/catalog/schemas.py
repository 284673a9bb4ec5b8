"""What the catalog endpoints accept and return: services and clients, named by direction."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared import fields as agenda_fields
from shared.fields import JsonBoolean, Text, prose

NAME_LENGTH = 200
DESCRIPTION_LENGTH = 5000
NOTES_LENGTH = 10000
PHONE_LENGTH = 40
SEARCH_LENGTH = 200
# A price is written as digits with an optional point and decimals; the Price field then checks the places.
_PRICE_TEXT = re.compile(r"-?\d{1,12}(\.\d+)?")


class DecimalStringPrice(agenda_fields.Price):
    """A price as a decimal string ("45.00"); JSON numbers are refused so no binary rounding slips in."""

    default_error_messages = {
        "not_string": 'Give the price as a decimal string, e.g. "45.00".',
        "format": 'Not a valid price; use digits with up to two decimals, e.g. "45.00".',
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("not_string")
        if _PRICE_TEXT.fullmatch(value.strip()) is None:
            raise self.make_error("format")
        return super()._deserialize(value.strip(), attr, data, **kwargs)


def _name(**kwargs) -> Text:
    return Text(validate=validate.Length(min=1, max=NAME_LENGTH), **kwargs)


class _RequireSomething(Schema):
    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.", "_schema")


class ServiceCreate(Schema):
    name = _name(required=True)
    description = prose(DESCRIPTION_LENGTH)
    duration_minutes = fields.Integer(strict=True, required=True, validate=validate.Range(min=5, max=720))
    price = DecimalStringPrice(required=True)


class ServiceUpdate(_RequireSomething):
    name = _name()
    description = prose(DESCRIPTION_LENGTH)
    duration_minutes = fields.Integer(strict=True, validate=validate.Range(min=5, max=720))
    price = DecimalStringPrice()
    is_active = JsonBoolean()


class ServiceRead(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    duration_minutes = fields.Integer()
    price = agenda_fields.Price()
    is_active = fields.Boolean()
    created_at = agenda_fields.AwareDateTime()
    updated_at = agenda_fields.AwareDateTime()


class ServiceQuery(Schema):
    include_inactive = fields.Boolean(load_default=False, truthy={"true", "1"}, falsy={"false", "0"})


class ClientCreate(Schema):
    name = _name(required=True)
    email = agenda_fields.Email(required=True)
    phone = Text(blank_as_none=True, allow_none=True, validate=validate.Length(max=PHONE_LENGTH))
    notes = prose(NOTES_LENGTH)


class ClientUpdate(_RequireSomething):
    name = _name()
    email = agenda_fields.Email()
    phone = Text(blank_as_none=True, allow_none=True, validate=validate.Length(max=PHONE_LENGTH))
    notes = prose(NOTES_LENGTH)


class ClientRead(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    phone = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    created_at = agenda_fields.AwareDateTime()
    updated_at = agenda_fields.AwareDateTime()


class ClientQuery(Schema):
    """Filters of the client list; each is a case-insensitive partial match (`q`: name or email)."""

    name = Text(blank_as_none=True, validate=validate.Length(max=SEARCH_LENGTH))
    email = Text(blank_as_none=True, validate=validate.Length(max=SEARCH_LENGTH))
    q = Text(blank_as_none=True, validate=validate.Length(max=SEARCH_LENGTH))
