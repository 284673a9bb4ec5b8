"""Form input on pages: the visitor's fields checked by the API's own schemas, errors in their language."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, ValidationError
from marshmallow import fields as marshmallow_fields

from shared.http.parsing import flatten_messages
from shared.pages import i18n


def load(schema: type[Schema], fields: dict[str, str], optional: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """(values, errors by form field): `fields` maps form field names to the schema's names."""
    payload: dict[str, Any] = {}
    instance = schema()
    for form_name, schema_name in fields.items():
        value = request.form.get(form_name, "").strip()
        if not value and form_name in optional:
            continue
        # A form sends text; the API's integer fields take JSON numbers.
        is_integer = isinstance(instance.fields.get(schema_name), marshmallow_fields.Integer)
        payload[schema_name] = int(value) if is_integer and value.isdigit() and len(value) < 20 else value
    try:
        return instance.load(payload), {}
    except ValidationError as exc:
        by_schema = {name: form_name for form_name, name in fields.items()}
        wrong = flatten_messages(exc.messages)
        return {}, {by_schema.get(name, name): field_error(by_schema.get(name, name)) for name in wrong}


def field_error(form_name: str) -> str:
    """What to fix in a field, said the same way whatever the schema's wording."""
    _ = i18n.gettext
    messages = {
        "name": _("Enter your name."),
        "email": _("Enter a valid email address, like name@example.com."),
        "phone": _("Enter a phone number of at most 40 characters, or leave it empty."),
        "comment": _("The comment is too long; shorten it."),
        "start_datetime": _("Choose one of the free times."),
        "service_id": _("Choose a service."),
        "date": _("Choose a day within the dates offered."),
        "tz": _("Enter a time zone such as Europe/Madrid or America/Bogota."),
    }
    return messages.get(form_name, _("Check this field."))
