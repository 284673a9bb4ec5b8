"""The HTTP layer every function shares: app factory, request parsing, responses, errors and auth guards."""

from shared.http.app import create_app
from shared.http.auth import (
    Principal,
    authenticate,
    current_principal,
    optional_auth,
    require_admin,
    require_professional,
)
from shared.http.caller import client_address, current_request_id
from shared.http.parsing import (
    PageParams,
    body_bytes,
    json_object,
    load,
    page_params,
    parse_body,
    parse_query,
)
from shared.http.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, Kind, kind_problem, problem
from shared.http.responses import accepted, created, dump, no_content, page

__all__ = [
    "PROBLEM_BASE", "PROBLEM_MEDIA_TYPE", "Kind", "PageParams", "Principal", "accepted", "authenticate",
    "body_bytes", "client_address", "create_app", "created", "current_principal", "current_request_id",
    "dump", "json_object", "kind_problem", "load", "no_content", "optional_auth", "page", "page_params",
    "parse_body", "parse_query", "problem", "require_admin", "require_professional",
]
