"""Local stand-in for nginx, the OpenFaaS gateway and of-watchdog: every function of stack.yml in one app."""

from __future__ import annotations

import importlib
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STACK = REPO_ROOT / "openfaas" / "stack.yml"
ROUTES_ANNOTATION = "com.agenda.routes"
OPENAPI_PATH = "/openapi.json"
# As shared.http.problems (which imports Flask) words the answers the gateway gives itself.
PROBLEM_BASE = "https://agenda.example/problems/"
PROBLEM_KINDS = {404: ("not-found", "Not Found"), 405: ("method-not-allowed", "Method Not Allowed")}

# The gateway's functionMatcher: function name, then the rest of the path (possibly empty).
FUNCTION_PATH = re.compile(r"^/function/([^/?]+)(.*)$")
# faas-cli runs the stack file through envsubst before parsing it: $$, $VAR, ${VAR}, ${VAR:-x}, ${VAR-x}.
ENV_REFERENCE = re.compile(r"\$\$|\$\{(\w+)(?:(:?)[-=]([^}]*))?\}|\$(\w+)")
# What the provider's proxy accepts; anything else is 405 before a function sees it.
PROXIED_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
# Hop-by-hop headers the gateway drops (RFC 7230 section 6.1).
HOP_BY_HOP = ("HTTP_CONNECTION", "HTTP_PROXY_CONNECTION", "HTTP_KEEP_ALIVE", "HTTP_PROXY_AUTHENTICATE",
              "HTTP_PROXY_AUTHORIZATION", "HTTP_TE", "HTTP_TRAILER", "HTTP_UPGRADE")

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def expand_env(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Substitute environment variables the way faas-cli does before it parses a stack file."""
    env = os.environ if environ is None else environ

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        value = env.get(name)
        if match.group(3) is None:
            return value or ""
        if match.group(2):  # ":-" also replaces an empty value
            return value or match.group(3)
        return match.group(3) if value is None else value

    return ENV_REFERENCE.sub(replace, text)


class _StackLoader(yaml.SafeLoader):
    """YAML as faas-cli's Go parser reads it: a key given twice in one mapping is an error."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # merged keys may be overridden
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def load_stack(path: Path | str = DEFAULT_STACK) -> dict[str, Any]:
    """The stack file as faas-cli reads it: environment substituted, duplicate keys refused."""
    stack = yaml.load(expand_env(Path(path).read_text()), Loader=_StackLoader)  # a SafeLoader
    if (stack.get("provider") or {}).get("name") != "openfaas":
        raise ValueError(f"{path}: provider.name must be openfaas")
    if not stack.get("functions"):
        raise ValueError(f"{path}: no functions")
    return stack


def root_routes(stack: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(path prefix, function) pairs from each function's routes annotation, longest prefix first."""
    owners: dict[str, str] = {}
    for name, spec in stack["functions"].items():
        for prefix in str((spec.get("annotations") or {}).get(ROUTES_ANNOTATION, "")).split():
            prefix = "/" + prefix.strip("/")
            if owners.setdefault(prefix, name) != name:
                raise ValueError(f"route {prefix} is claimed by both {owners[prefix]} and {name}")
    return sorted(owners.items(), key=lambda item: len(item[0]), reverse=True)


def route_for(path: str, routes: list[tuple[str, str]]) -> str | None:
    """The function owning `path`: the longest prefix that matches whole path segments."""
    for prefix, name in routes:
        if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
            return name
    return None


def import_function_app(name: str) -> WSGIApp:
    """The function's Flask app: the same object the image's index.py serves."""
    return importlib.import_module(f"functions.{name}.handler").app


class Gateway:
    """A WSGI app routing like nginx (root paths) and the OpenFaaS gateway (/function/<name>/...)."""

    def __init__(self, stack: Mapping[str, Any], *, loader: Callable[[str], WSGIApp] = import_function_app,
                 openapi_file: Path | None = None):
        self.functions = set(stack["functions"])
        self.routes = root_routes(stack)
        self.openapi_file = openapi_file
        self._loader = loader
        self._apps: dict[str, WSGIApp] = {}
        self._lock = threading.Lock()

    def app_for(self, name: str) -> WSGIApp:
        """Import a function's app on first use, as a cold start would."""
        with self._lock:
            if name not in self._apps:
                self._apps[name] = self._loader(name)
            return self._apps[name]

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        generated_id = not environ.get("HTTP_X_CALL_ID")
        call_id = environ.get("HTTP_X_CALL_ID") or str(uuid.uuid4())
        path = environ.get("PATH_INFO") or "/"

        match = FUNCTION_PATH.match(path)
        if match:
            # Straight to the gateway. A namespace suffix (health.openfaas-fn) names the same function.
            name, upstream_path = match.group(1).split(".", 1)[0], match.group(2) or "/"
        elif path == OPENAPI_PATH and self.openapi_file is not None and self.openapi_file.is_file():
            return _respond(start_response, 200, "application/json", self.openapi_file.read_bytes(), call_id)
        else:
            # Through nginx, which proxies /auth/login to /function/auth/auth/login: the same path.
            name, upstream_path = route_for(path, self.routes), path
            if name is None:
                return _problem(start_response, 404, f"No route for {path}.", call_id)
            environ = _through_nginx(environ)
        if name not in self.functions:
            return _problem(start_response, 404, f"error finding function {name}", call_id)
        if environ.get("REQUEST_METHOD", "GET") not in PROXIED_METHODS:
            return _problem(start_response, 405, "Method not allowed.", call_id)

        started = str(time.time_ns())
        upstream = _through_gateway(environ, name, upstream_path, call_id, started)

        def start_with_gateway_headers(status, headers, exc_info=None):
            headers = list(headers)
            if generated_id:
                headers.append(("X-Call-Id", call_id))
            headers.append(("X-Start-Time", started))
            return start_response(status, headers, exc_info)

        return self.app_for(name)(upstream, start_with_gateway_headers)


def _through_nginx(environ: dict) -> dict:
    """The headers the VPS nginx sets (shared.localdev.nginx): the client is the only forwarded hop."""
    env = dict(environ)
    client = environ.get("REMOTE_ADDR", "")
    env["HTTP_X_FORWARDED_FOR"] = env["HTTP_X_REAL_IP"] = client
    env["HTTP_X_FORWARDED_PROTO"] = environ.get("wsgi.url_scheme", "http")
    env["HTTP_X_FORWARDED_HOST"] = environ.get("HTTP_HOST", "")
    env["HTTP_X_REQUEST_ID"] = environ.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
    return env


def _through_gateway(environ: dict, name: str, path: str, call_id: str, started: str) -> dict:
    """The request as of-watchdog hands it to the function: prefix stripped, query kept, gateway headers."""
    env = {key: value for key, value in environ.items() if key not in HOP_BY_HOP}
    query = environ.get("QUERY_STRING", "")
    env["SCRIPT_NAME"] = ""
    env["PATH_INFO"] = path
    env["RAW_URI"] = env["REQUEST_URI"] = path + (f"?{query}" if query else "")
    if environ.get("HTTP_HOST") and not environ.get("HTTP_X_FORWARDED_HOST"):
        env["HTTP_X_FORWARDED_HOST"] = environ["HTTP_HOST"]
    if not environ.get("HTTP_X_FORWARDED_FOR"):
        # The gateway's fallback is Go's RemoteAddr, which is host:port.
        env["HTTP_X_FORWARDED_FOR"] = ":".join(filter(None, (environ.get("REMOTE_ADDR"),
                                                              environ.get("REMOTE_PORT"))))
    env["HTTP_X_CALL_ID"] = call_id
    env["HTTP_X_START_TIME"] = started
    # The gateway dials the function's service, so that is the Host the function sees.
    env["HTTP_HOST"] = f"{name}.openfaas-fn:8080"
    env["SERVER_NAME"], env["SERVER_PORT"] = f"{name}.openfaas-fn", "8080"
    return env


def _respond(start_response: Callable, status: int, content_type: str, body: bytes,
             call_id: str, title: str = "OK") -> list[bytes]:
    from shared.http.app import SECURITY_HEADERS  # what the functions write on their own answers

    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), ("X-Call-Id", call_id),
               ("X-Request-ID", call_id), *SECURITY_HEADERS.items()]
    if status >= 400:
        headers.append(("Cache-Control", "no-store"))
    start_response(f"{status} {title}", headers)
    return [body]


def _problem(start_response: Callable, status: int, detail: str, call_id: str) -> list[bytes]:
    slug, title = PROBLEM_KINDS[status]
    body = json.dumps({"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail,
                       "request_id": call_id}).encode()
    return _respond(start_response, status, "application/problem+json", body, call_id, title)


def create_gateway(stack_path: Path | str | None = None, *,
                   loader: Callable[[str], WSGIApp] | None = None) -> Gateway:
    """The local gateway for a stack file (default openfaas/stack.yml); gunicorn calls this."""
    path = Path(stack_path) if stack_path else DEFAULT_STACK
    return Gateway(load_stack(path), loader=loader or import_function_app,
                   openapi_file=path.parent / "openapi.json")
