"""Reading requests: JSON bodies and query strings through marshmallow schemas, and list paging."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any, NamedTuple

from flask import g, request
from marshmallow import RAISE, Schema, ValidationError
from marshmallow import fields as ma_fields
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from shared import errors

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 2_147_483_647
PAGING_PARAMS = ("limit", "offset")
_DIGITS = re.compile(r"\d{1,10}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class PageParams(NamedTuple):
    """Where a list page starts and how long it is."""

    limit: int
    offset: int


@cache
def _schema_instance(schema_class: type[Schema]) -> Schema:
    # Schemas keep no per-call state in marshmallow 4, so one instance per class serves every request.
    return schema_class()


def schema_instance(schema: type[Schema] | Schema) -> Schema:
    """A (shared) instance of a schema class, or the instance itself."""
    return _schema_instance(schema) if isinstance(schema, type) else schema


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as {"field" or "parent.child" or "items.0.name": [messages]}."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            flat.update(flatten_messages(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(messages, (list, tuple)) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": list(messages)}
    if isinstance(messages, (list, tuple)):
        flat = {}
        for item in messages:
            for key, value in flatten_messages(item, prefix).items():
                flat.setdefault(key, []).extend(value)
        return flat
    return {prefix or "_schema": [str(messages)]}


def load(schema: type[Schema] | Schema, data: Any, *, partial: bool = False, unknown: str = RAISE) -> Any:
    """Validate and deserialize `data`; marshmallow errors become ValidationFailed (422) per field."""
    try:
        return schema_instance(schema).load(data, partial=partial, unknown=unknown)
    except ValidationError as error:
        raise errors.ValidationFailed(errors=flatten_messages(error.messages)) from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def is_json_mimetype(mimetype: str) -> bool:
    """application/json, or an application/*+json type such as application/merge-patch+json."""
    if mimetype == "application/json":
        return True
    return mimetype.startswith("application/") and mimetype.endswith("+json")


def too_large(limit: int) -> RequestEntityTooLarge:
    """The 413 error for a body over `limit` bytes."""
    return RequestEntityTooLarge(f"The request body must be at most {limit} bytes.")


def body_bytes() -> bytes:
    """The raw request body; 413 past the configured limit, whether announced by Content-Length or not."""
    raw = request.get_data(cache=True)
    limit = g.get("body_limit")
    if limit is not None and len(raw) > limit:
        raise too_large(limit)
    return raw


def json_object() -> dict[str, Any]:
    """The request body as a JSON object: 415 unless declared JSON, 400 if malformed or not an object."""
    if not is_json_mimetype(request.mimetype):
        raise UnsupportedMediaType("Send a JSON body with Content-Type: application/json.")
    raw = body_bytes()
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise errors.BadRequest("The request body is not valid UTF-8.") from None
    except json.JSONDecodeError as error:
        raise errors.BadRequest(
            f"Malformed JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        ) from None
    except (ValueError, RecursionError):
        raise errors.BadRequest("Malformed JSON.") from None
    if not isinstance(data, dict):
        raise errors.BadRequest("The request body must be a JSON object.")
    if _has_lone_surrogate(data):
        raise errors.BadRequest("The request body holds an escape (\\ud800-\\udfff) that is not a Unicode "
                                "character; send valid Unicode text.")
    return data


def _has_lone_surrogate(value: Any) -> bool:
    """True when a string anywhere in the JSON value holds a lone surrogate ("\\ud800" is valid JSON but
    not text: nothing can encode it, not the database, a log line or an email)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def parse_body(schema: type[Schema] | Schema, partial: bool = False) -> dict[str, Any]:
    """The JSON body loaded through `schema` (unknown fields refused): 415, 400 or 422 on bad input."""
    return load(schema, json_object(), partial=partial)


def parse_query(schema: type[Schema] | Schema, unknown: str = RAISE) -> dict[str, Any]:
    """The query string loaded through `schema`: 422 on bad values.

    Empty values (`?name=`) count as absent, List fields take repeated parameters, any other parameter
    given twice is refused, and limit/offset are left to page_params() unless the schema declares them.
    """
    instance = schema_instance(schema)
    by_key = {field.data_key or name: field for name, field in instance.load_fields.items()}
    data: dict[str, Any] = {}
    repeated: dict[str, list[str]] = {}
    for key in request.args:
        values = [value for value in request.args.getlist(key) if value != ""]
        field = by_key.get(key)
        if not values or (field is None and key in PAGING_PARAMS):
            continue
        if isinstance(field, ma_fields.List):
            data[key] = values
        elif len(values) > 1:
            repeated[key] = ["Give this parameter only once."]
        else:
            data[key] = values[0]
    try:
        loaded = instance.load(data, unknown=unknown)
    except ValidationError as error:
        raise errors.ValidationFailed(errors={**flatten_messages(error.messages), **repeated}) from None
    if repeated:
        raise errors.ValidationFailed(errors=repeated)
    return loaded


def _int_param(name: str, default: int, low: int, high: int, problems: dict[str, list[str]]) -> int:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if _DIGITS.fullmatch(raw) is None or not low <= int(raw) <= high:
        problems[name] = [f"Must be an integer from {low} to {high}."]
        return default
    return int(raw)


def page_params(default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT) -> PageParams:
    """?limit= (default 50, at most 200) and ?offset= (default 0); 422 when out of range or not integers."""
    problems: dict[str, list[str]] = {}
    limit = _int_param("limit", default_limit, 1, max_limit, problems)
    offset = _int_param("offset", 0, 0, MAX_OFFSET, problems)
    if problems:
        raise errors.ValidationFailed(errors=problems)
    return PageParams(limit, offset)
