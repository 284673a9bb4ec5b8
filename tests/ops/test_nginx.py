"""openfaas/nginx/agenda.conf: generated from openfaas/stack.yml, and what it promises about routes, limits,
body size and the client's address."""

from __future__ import annotations

import copy
import re
import secrets
import subprocess
import sys

import pytest

from shared.config import load_settings
from shared.localdev import nginx
from shared.localdev.gateway import load_stack, root_routes
from shared.ratelimit import client_ip
from tests.conftest import REPO

COMMITTED = REPO / "openfaas" / "nginx" / "agenda.conf"
LOCATION = re.compile(r"location (?P<match>[^{]+?) \{(?P<body>[^}]*)\}")


@pytest.fixture(scope="module")
def stack():
    return load_stack()


@pytest.fixture(scope="module")
def locations() -> dict[str, str]:
    """Each location's match (`= /auth`, `/auth/`, `~ ^...`) and its body, from the committed file."""
    return {m["match"]: m["body"] for m in LOCATION.finditer(COMMITTED.read_text())}


def proxied_function(body: str) -> str | None:
    found = re.search(r"proxy_pass http://openfaas_gateway/function/([a-z-]+)\$request_uri;", body)
    return found.group(1) if found else None


def test_the_committed_file_is_what_the_generator_writes_from_the_stack():
    generated = subprocess.run([sys.executable, "-m", "shared.localdev.nginx"], cwd=REPO, check=True,
                               capture_output=True, text=True).stdout

    assert COMMITTED.read_text() == generated, (
        "openfaas/nginx/agenda.conf is stale: python -m shared.localdev.nginx > openfaas/nginx/agenda.conf")


def test_every_root_route_of_the_stack_reaches_its_function(stack, locations):
    routes = root_routes(stack)
    assert routes
    for prefix, function in routes:
        assert proxied_function(locations[f"= {prefix}"]) == function
        assert proxied_function(locations[f"{prefix}/"]) == function


def test_nothing_else_is_proxied(stack, locations):
    routed = {function for _, function in root_routes(stack)}
    proxied = {proxied_function(body) for body in locations.values()} - {None}

    assert proxied == routed
    assert "reminders" not in proxied  # cron-invoked only
    assert "return 404" in locations["/"]
    assert not any(match.strip("= ~").startswith(("/function", "/system", "/ui")) for match in locations)


def test_login_like_endpoints_and_public_booking_are_rate_limited(locations):
    for path in nginx.LOGIN_PATHS:
        assert "limit_req zone=agenda_login" in locations[f"= {path}"]
    booking = locations[f"~ {nginx.BOOKING_PATTERN}"]
    assert "limit_req zone=agenda_booking" in booking and proxied_function(booking) == "public"
    for prefix in nginx.TOKEN_PREFIXES:
        assert "limit_req zone=agenda_booking" in locations[f"{prefix}/"]
    text = COMMITTED.read_text()
    assert f"zone=agenda_login:10m rate={nginx.LOGIN_RATE}" in text
    assert f"zone=agenda_booking:10m rate={nginx.BOOKING_RATE}" in text
    # Refused inside nginx with a code of its own, answered 429 by @rate_limited (the live test sees it).
    assert f"limit_req_status {nginx.OWN_LIMIT_STATUS};" in text
    assert f"error_page {nginx.OWN_LIMIT_STATUS} = @rate_limited;" in text


@pytest.mark.parametrize(("path", "matches"), [
    ("/public/professionals/ana-lopez/appointments", True),
    ("/public/professionals/ana-lopez/appointments/", True),
    ("/public/professionals/ana-lopez/slots", False),
    ("/public/professionals/a/b/appointments", False),
    ("/public/appointments/token", False),
])
def test_the_booking_pattern_matches_only_the_booking_path(path, matches):
    assert bool(re.search(nginx.BOOKING_PATTERN, path)) is matches


def test_the_body_limit_is_the_one_the_functions_enforce(stack):
    environment = {key: str(value) for key, value in stack["functions"]["public"]["environment"].items()}
    settings = load_settings({**environment, "DATABASE_URL": "postgresql://db/agenda",
                              "JWT_SECRET": secrets.token_urlsafe(48),
                              "LINK_SECRET": secrets.token_urlsafe(48), "ENCRYPTION_KEY": "e" * 43,
                              "SECRETS_DIR": "/nonexistent"})

    assert f"client_max_body_size {settings.max_body_bytes};" in COMMITTED.read_text()


def test_the_client_address_is_the_only_forwarded_hop_and_the_functions_trust_exactly_one(stack):
    text = COMMITTED.read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
    assert "$proxy_add_x_forwarded_for" not in text  # would keep whatever the client claimed
    for name, spec in stack["functions"].items():
        assert str(spec["environment"]["TRUSTED_PROXY_COUNT"]) == "1", name
    # The gateway and the watchdog only set X-Forwarded-For when it is missing, so the function sees one
    # hop: the address nginx saw, whatever the client put in its own header.
    assert client_ip("10.62.0.1", "203.0.113.9", trusted_proxies=1) == "203.0.113.9"


def test_tls_uses_certbots_files_for_the_domain():
    text = nginx.render(load_stack(), domain="api.example.org")

    assert "ssl_certificate /etc/letsencrypt/live/api.example.org/fullchain.pem;" in text
    assert "ssl_certificate_key /etc/letsencrypt/live/api.example.org/privkey.pem;" in text
    assert "server_name api.example.org;" in text
    assert "return 308 https://$host$request_uri;" in text


def test_the_generator_refuses_functions_that_disagree_on_the_body_limit(stack):
    changed = copy.deepcopy(stack)
    changed["functions"]["admin"]["environment"] = {**changed["functions"]["admin"]["environment"],
                                                    "MAX_BODY_BYTES": "1024"}
    with pytest.raises(ValueError, match="disagree on MAX_BODY_BYTES"):
        nginx.render(changed)


def test_the_generator_refuses_a_rate_limited_path_no_function_routes(stack):
    changed = copy.deepcopy(stack)
    changed["functions"]["auth"]["annotations"] = {"com.agenda.routes": "/login-elsewhere"}
    with pytest.raises(ValueError, match="/auth/login"):
        nginx.render(changed)


def test_slow_clients_are_cut_off_and_each_address_holds_few_connections():
    text = COMMITTED.read_text()
    servers = text.split("\nserver {")[1:]
    assert len(servers) == 2  # plain HTTP (redirects) and TLS
    for server in servers:
        assert f"client_header_timeout {nginx.CLIENT_TIMEOUT};" in server
        assert f"client_body_timeout {nginx.CLIENT_TIMEOUT};" in server
        assert f"limit_conn agenda_connections {nginx.CONNECTIONS_PER_ADDRESS};" in server
    assert "limit_conn_zone $agenda_client zone=agenda_connections:10m;" in text  # IPv6: per /64


def test_nginx_itself_accepts_the_site(tmp_path):
    import trustme

    certificate = trustme.CA().issue_cert("agenda.example")
    certificate.cert_chain_pems[0].write_to_path(str(tmp_path / "fullchain.pem"))
    certificate.private_key_pem.write_to_path(str(tmp_path / "privkey.pem"))
    site = (COMMITTED.read_text()
            .replace("/etc/letsencrypt/live/agenda.example/", f"{tmp_path}/")
            .replace("/var/log/nginx/", f"{tmp_path}/"))
    (tmp_path / "agenda.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log off;\n    include {tmp_path}/agenda.conf;\n}}\n")

    checked = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True)

    assert checked.returncode == 0, checked.stderr
