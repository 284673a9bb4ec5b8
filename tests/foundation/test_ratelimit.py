"""Rate limits: keyed per IPv4 address or IPv6 /64, each one a setting in the `limits` notation."""

from __future__ import annotations

import pytest

from shared.config import RATE_LIMIT_DEFAULTS, reset_settings
from shared.ratelimit import address_key


@pytest.mark.parametrize(("address", "key"), [
    ("203.0.113.9", "203.0.113.9"),
    ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("2001:DB8:1:2:0:0:0:7", "2001:db8:1:2::/64"),
    ("::ffff:203.0.113.9", "203.0.113.9"),   # an IPv4 client seen through an IPv6 socket
    ("unknown", "unknown"),
    (None, "unknown"),
])
def test_a_client_is_its_ipv4_address_or_its_ipv6_64(address, key):
    assert address_key(address) == key


def login(gateway, ip: str, email: str = "who@example.com"):
    return gateway.post("/auth/login", json={"email": email, "password": "not the password"},
                        environ_base={"REMOTE_ADDR": ip})


def test_an_operator_sets_a_limit_and_it_applies(gateway, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_LOGIN", "2/minute")
    reset_settings()

    statuses = [login(gateway, "192.0.2.5").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]
    assert login(gateway, "192.0.2.6").status_code == 401


def test_logins_from_one_ipv6_64_share_one_budget(gateway):
    limit = int(RATE_LIMIT_DEFAULTS["login"].split("/")[0])

    # Another account each time, so that the per-account lockout stays out of the way.
    statuses = [login(gateway, f"2001:db8:aa:bb::{n:x}", f"who{n}@example.com").status_code
                for n in range(1, limit + 2)]

    assert statuses == [401] * limit + [429]
