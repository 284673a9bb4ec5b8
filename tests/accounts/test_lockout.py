"""Lockout: 10 failures in 15 minutes lock an account for 15 minutes, in Redis, without a lock-forever."""

from __future__ import annotations

import time

import pytest
import redis

from shared.accounts import lockout
from shared.accounts.lockstore import MemoryStore, store
from shared.config import reset_settings
from shared.errors import RateLimited
from tests.accounts.helpers import ATTACKER_IP, OWNER_IP
from tests.conftest import TEST_REDIS_URL
from tests.factories import DEFAULT_PASSWORD, make_professional

WRONG = "definitely not it"


class Clock:
    """The lockout's time source, moved by hand."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(lockout, "clock", fake)
    return fake


@pytest.fixture
def pro(uow):
    professional = make_professional(uow.session, email="pro@example.com")
    uow.commit()
    return professional


def fail(login, times: int, ip: str = ATTACKER_IP, email: str = "pro@example.com") -> list[int]:
    return [login(email, WRONG, ip=ip).status_code for _ in range(times)]


def test_ten_failures_lock_the_account_even_for_the_right_password(pro, login, clock):
    assert fail(login, 10) == [401] * 10

    response = login("pro@example.com", DEFAULT_PASSWORD, ip=ATTACKER_IP)

    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) == 15 * 60
    assert response.get_json()["detail"] == "Too many failed login attempts. Try again later."


def test_nine_failures_do_not_lock(pro, login, clock):
    fail(login, 9)

    assert login("pro@example.com", DEFAULT_PASSWORD, ip=ATTACKER_IP).status_code == 200


def test_lock_ends_after_fifteen_minutes(pro, login, clock):
    fail(login, 10)
    clock.advance(15 * 60 - 1)
    assert login("pro@example.com", DEFAULT_PASSWORD, ip=ATTACKER_IP).status_code == 429

    clock.advance(1)

    assert login("pro@example.com", DEFAULT_PASSWORD, ip=ATTACKER_IP).status_code == 200


def test_attempts_while_locked_do_not_extend_the_lock(pro, login, clock):
    fail(login, 10)
    clock.advance(10 * 60)

    assert fail(login, 5) == [429] * 5
    response = login("pro@example.com", WRONG, ip=ATTACKER_IP)
    assert int(response.headers["Retry-After"]) == 5 * 60

    clock.advance(5 * 60)
    assert login("pro@example.com", DEFAULT_PASSWORD, ip=ATTACKER_IP).status_code == 200


def test_failures_older_than_the_window_do_not_count(pro, login, clock):
    fail(login, 9)
    clock.advance(15 * 60 + 1)

    assert fail(login, 9) == [401] * 9
    assert login("pro@example.com", DEFAULT_PASSWORD, ip=ATTACKER_IP).status_code == 200


def test_a_successful_login_clears_the_failures(pro, login, clock):
    fail(login, 9, ip=OWNER_IP)
    assert login("pro@example.com", DEFAULT_PASSWORD, ip=OWNER_IP).status_code == 200

    # Counted for the whole account again (another address): without the reset the first would lock.
    assert fail(login, 9, ip=ATTACKER_IP) == [401] * 9
    assert login("pro@example.com", DEFAULT_PASSWORD, ip=ATTACKER_IP).status_code == 200


def test_owner_at_a_known_address_keeps_logging_in_while_the_account_is_locked(pro, login, clock):
    assert login("pro@example.com", DEFAULT_PASSWORD, ip=OWNER_IP).status_code == 200

    fail(login, 10, ip=ATTACKER_IP)

    assert login("pro@example.com", DEFAULT_PASSWORD, ip=ATTACKER_IP).status_code == 429
    assert login("pro@example.com", DEFAULT_PASSWORD, ip="192.0.2.200").status_code == 429
    assert login("pro@example.com", DEFAULT_PASSWORD, ip=OWNER_IP).status_code == 200


def test_guessing_from_a_known_address_is_locked_there_too(pro, login, clock):
    assert login("pro@example.com", DEFAULT_PASSWORD, ip=OWNER_IP).status_code == 200

    assert fail(login, 10, ip=OWNER_IP) == [401] * 10

    assert login("pro@example.com", DEFAULT_PASSWORD, ip=OWNER_IP).status_code == 429
    # Those failures were counted for the known address only, not for the whole account.
    assert login("pro@example.com", DEFAULT_PASSWORD, ip=ATTACKER_IP).status_code == 200


def test_an_address_is_forgotten_after_thirty_days(pro, login, clock):
    assert login("pro@example.com", DEFAULT_PASSWORD, ip=OWNER_IP).status_code == 200
    clock.advance(30 * 24 * 3600 + 1)

    fail(login, 10, ip=ATTACKER_IP)

    assert login("pro@example.com", DEFAULT_PASSWORD, ip=OWNER_IP).status_code == 429


def test_unknown_email_is_locked_exactly_like_a_real_account(login, clock):
    assert fail(login, 10, email="ghost@example.com") == [401] * 10

    response = login("ghost@example.com", WRONG, ip=ATTACKER_IP)

    assert response.status_code == 429 and int(response.headers["Retry-After"]) == 15 * 60


def test_lock_state_lives_in_redis_so_every_replica_sees_it(pro, login, clock):
    fail(login, 10)
    key = f"agenda:lockout:lock:{lockout.account_key('pro@example.com')}"

    client = redis.Redis.from_url(TEST_REDIS_URL)
    assert 0 < client.ttl(key) <= 15 * 60
    assert b"pro@example.com" not in b"".join(client.keys("agenda:lockout:*"))


def test_lockout_falls_back_to_process_memory_without_redis(monkeypatch, clock):
    monkeypatch.setenv("RATE_LIMIT_STORAGE_URL", "memory://")
    reset_settings()
    assert isinstance(store(), MemoryStore)
    for _ in range(10):
        lockout.check("x@example.com", ATTACKER_IP)
        lockout.record_failure("x@example.com", ATTACKER_IP)

    with pytest.raises(RateLimited):
        lockout.check("x@example.com", ATTACKER_IP)
    clock.advance(15 * 60)
    lockout.check("x@example.com", ATTACKER_IP)


def test_lockout_counts_in_process_memory_while_redis_is_unreachable(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_STORAGE_URL", "redis://127.0.0.1:9/0")  # nothing listens on loopback:9
    reset_settings()
    for _ in range(10):
        lockout.check("x@example.com", ATTACKER_IP)
        lockout.record_failure("x@example.com", ATTACKER_IP)

    with pytest.raises(RateLimited):
        lockout.check("x@example.com", ATTACKER_IP)
