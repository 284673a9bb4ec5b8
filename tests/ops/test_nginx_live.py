"""The generated nginx site, served by a real nginx: what it answers itself, and per-/64 limits."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

from shared.http.app import SECURITY_HEADERS
from shared.localdev import nginx
from shared.localdev.gateway import load_stack

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_for_test(workdir: Path, port: int, dead_gateway: int) -> str:
    """The committed site's text, with only what a test needs changed: ports, certificate, log paths, and
    the client address taken from X-Forwarded-For (realip), so that a test can speak from any address."""
    (workdir / "openapi.json").write_text('{"openapi": "3.1.0"}')
    text = nginx.render(load_stack(), domain="localhost", gateway=f"127.0.0.1:{dead_gateway}",
                        openapi=str(workdir / "openapi.json"))
    text = text.split("server {", 2)
    text = text[0] + "server {" + text[2]  # drop the port-80 redirect server
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl;")
    text = text.replace("listen [::]:443 ssl http2;",
                        "set_real_ip_from 127.0.0.1;\n    real_ip_header X-Forwarded-For;")
    text = text.replace("/etc/letsencrypt/live/localhost/fullchain.pem", str(workdir / "cert.pem"))
    text = text.replace("/etc/letsencrypt/live/localhost/privkey.pem", str(workdir / "key.pem"))
    return text.replace("/var/log/nginx/", f"{workdir}/")


@contextlib.contextmanager
def serve_site(workdir: Path, gateway: int):
    """nginx serving the site for the test, with the faasd gateway at 127.0.0.1:`gateway`."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed (.ci/run installs it)")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=localhost", "-keyout", str(workdir / "key.pem"), "-out", str(workdir / "cert.pem")],
                   check=True, capture_output=True)
    port = free_port()
    (workdir / "agenda.conf").write_text(site_for_test(workdir, port, gateway))
    (workdir / "nginx.conf").write_text(
        # As root (CI), the workers would otherwise run as nobody and not read the test's private files.
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {workdir}/nginx.pid;\nerror_log {workdir}/error.log;\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\n  client_body_temp_path {workdir}/body;\n  proxy_temp_path {workdir}/proxy;\n"
        f"  include {workdir}/agenda.conf;\n}}\n")
    process = subprocess.Popen([NGINX, "-c", str(workdir / "nginx.conf"), "-p", str(workdir)],
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(process.stderr.read().decode()) from None
            time.sleep(0.05)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site in front of a gateway that is down (nothing listens on its port)."""
    with serve_site(tmp_path_factory.mktemp("nginx"), free_port()) as port:
        yield port


def call(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    context = ssl._create_unverified_context()
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    try:
        conn.request(method, path, body=body, headers={"Host": "localhost", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("GET", "/nothing-here", None, 404),
    ("GET", "/function/auth/auth/login", None, 404),          # the gateway's own paths stay private
    ("POST", "/openapi.json", b"{}", 405),
    ("POST", "/clients", b"x" * 70_000, 413),
    ("GET", "/health", None, 503),                           # the gateway is down
    ("GET", "/openapi.json", None, 200),
])
def test_what_nginx_answers_itself_carries_the_security_headers(site, method, path, body, status):
    got, headers, payload = call(site, method, path, body, {"X-Request-ID": 'x","admin":true,"y":"'})

    assert got == status
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, name
    if status >= 400:
        problem = json.loads(payload)  # a client's quote never breaks nginx's JSON
        assert problem["status"] == status
        assert problem["request_id"] == headers["X-Request-ID"] and "admin" not in problem


def test_one_ipv6_64_shares_one_login_budget_in_nginx(site):
    def login(address: str) -> int:
        status, _, _ = call(site, "POST", "/auth/login", b"{}", {"X-Forwarded-For": address,
                                                                  "Content-Type": "application/json"})
        return status

    burst = nginx.LOGIN_BURST
    statuses = [login(f"2001:db8:5:6::{n:x}") for n in range(1, burst + 3)]

    assert statuses[-1] == 429  # past the burst, though every request came from another address
    assert 429 not in statuses[:burst]
    assert login("2001:db8:5:7::1") != 429  # the next /64 is another client


# What a stand-in for the faasd gateway answers, by the request's X-Stub-Answer header: the gateway's and
# of-watchdog's own failures (an empty 502 or 504, or a connection closed without an answer), and a
# function's own problem answers, which must reach the client as the function wrote them.
APP_PROBLEM = b'{"type":"about:blank","title":"from the app","status":%d}'


class StubGateway(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        answer = self.headers.get("X-Stub-Answer", "")
        if answer == "close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        status = int(answer.split("-")[0])
        body = APP_PROBLEM % status if answer.endswith("-app") else b""
        self.send_response(status)
        if body:
            self.send_header("Content-Type", "application/problem+json")
            self.send_header("Retry-After", "7")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_with_gateway(tmp_path_factory):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubGateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with serve_site(tmp_path_factory.mktemp("nginx-stub"), server.server_address[1]) as port:
            yield port
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("answer", "status"), [("502", 503), ("close", 503), ("504", 504)])
def test_a_function_that_cannot_answer_gets_a_problem_from_nginx(site_with_gateway, answer, status):
    got, headers, payload = call(site_with_gateway, "GET", "/health", headers={"X-Stub-Answer": answer})

    assert got == status
    assert headers["Content-Type"] == "application/problem+json"
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, name
    problem = json.loads(payload)
    assert problem["status"] == status and problem["request_id"] == headers["X-Request-ID"]


@pytest.mark.parametrize("status", [404, 429, 503])
def test_a_functions_own_problem_passes_nginx_untouched(site_with_gateway, status):
    got, headers, payload = call(site_with_gateway, "GET", "/health",
                                 headers={"X-Stub-Answer": f"{status}-app"})

    assert (got, payload) == (status, APP_PROBLEM % status)
    assert headers["Retry-After"] == "7"
