"""Writing responses: dumping through Read schemas, list envelopes, 201 with Location, 204."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Response, current_app
from marshmallow import Schema

from shared.http.parsing import schema_instance


def dump(schema: type[Schema] | Schema, obj: Any, *, many: bool = False) -> Any:
    """Serialize an object (or, with many=True, an iterable of them) through a Read schema."""
    return schema_instance(schema).dump(obj, many=many)


def page(items: Iterable[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    """The list envelope every collection endpoint returns."""
    return {"items": list(items), "total": total, "limit": limit, "offset": offset}


def created(body: Any, location: str) -> Response:
    """201 Created with the new resource as body and its URL in Location."""
    response = current_app.json.response(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response


def accepted(body: Any) -> Response:
    """202 Accepted: the request was taken but the outcome is decided later."""
    response = current_app.json.response(body)
    response.status_code = 202
    return response


def no_content() -> Response:
    """204 No Content (create_app drops the Content-Type such a response would otherwise carry)."""
    return Response(status=204)
