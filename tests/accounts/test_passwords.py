"""Password storage and rules: Argon2id at or above the OWASP minimum, rehash on login, common passwords."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher

from shared.accounts import passwords
from tests.accounts.helpers import STRONG_PASSWORD
from tests.factories import make_professional

PHC = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


def argon2_parameters(password_hash: str) -> tuple[int, int, int]:
    match = PHC.match(password_hash)
    assert match, password_hash
    return int(match[1]), int(match[2]), int(match[3])


def test_stored_hash_is_argon2id_at_or_above_the_owasp_minimum(register, rows):
    register()

    [user] = rows("SELECT password_hash FROM users")
    memory, time_cost, parallelism = argon2_parameters(user["password_hash"])
    assert memory >= 19456 and time_cost >= 2 and parallelism >= 1
    assert STRONG_PASSWORD not in user["password_hash"]


def test_login_rehashes_a_password_stored_with_weaker_parameters(uow, login, rows):
    pro = make_professional(uow.session, email="old@example.com")
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    pro.user.password_hash = weaker.hash(STRONG_PASSWORD)
    uow.commit()

    response = login("old@example.com", STRONG_PASSWORD)

    assert response.status_code == 200
    [user] = rows("SELECT password_hash FROM users")
    assert argon2_parameters(user["password_hash"]) == (19456, 2, 1)
    assert login("old@example.com", STRONG_PASSWORD).status_code == 200


def test_login_keeps_a_hash_that_already_has_the_current_parameters(uow, login, rows):
    make_professional(uow.session, email="pro@example.com", password=STRONG_PASSWORD)
    uow.commit()
    [before] = rows("SELECT password_hash FROM users")

    assert login("pro@example.com", STRONG_PASSWORD).status_code == 200

    assert rows("SELECT password_hash FROM users") == [before]


def test_raising_the_parameters_makes_existing_hashes_need_a_rehash(monkeypatch):
    stored = passwords.hash_password(STRONG_PASSWORD)
    monkeypatch.setattr(passwords, "TIME_COST", passwords.TIME_COST + 1)
    passwords.hasher.cache_clear()
    try:
        assert passwords.needs_rehash(stored)
        assert passwords.verify_password(stored, STRONG_PASSWORD)
    finally:
        monkeypatch.undo()
        passwords.hasher.cache_clear()
    assert not passwords.needs_rehash(stored)


@pytest.mark.parametrize(("password", "problem"), [
    ("password123", passwords.TOO_WEAK),             # breached-list word plus a sequence
    ("Password2024!", passwords.TOO_WEAK),
    ("iloveyou12", passwords.TOO_WEAK),
    ("p@ssw0rd1234", passwords.TOO_WEAK),            # l33t spelling of a listed password
    ("qwertyuiop", passwords.TOO_WEAK),              # keyboard walk
    ("          ", "A password cannot be only spaces."),
    ("aaaaaaaaaa", "A password cannot be one character repeated."),
    ("abcdefghijk", "A password cannot be a simple sequence such as abcdefghij or 9876543210."),
    ("9876543210", "A password cannot be a simple sequence such as abcdefghij or 9876543210."),
])
def test_common_and_trivial_passwords_of_the_minimum_length_are_refused(password, problem):
    assert len(password) >= passwords.MIN_LENGTH
    assert passwords.password_problems(password) == [problem]


@pytest.mark.parametrize("password", ["ana.lopez@example.com", "my ana.lopez 2027", "Lopez Gutierrez 99",
                                      "ANA-LOPEZ-GUTIERREZ"])
def test_the_accounts_own_email_or_name_is_refused(password):
    problems = passwords.password_problems(password, email="ana.lopez@example.com",
                                           name="Ana Lopez Gutierrez")

    assert problems == ["A password cannot contain your email address or your name."]


@pytest.mark.parametrize("password", ["password123", "          ", "aaaaaaaaaa"])
def test_registration_refuses_what_the_review_got_accepted(register, rows, password):
    response = register(password=password)

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["password"]
    assert rows("SELECT id FROM users") == []


def test_a_new_password_that_is_the_accounts_email_is_refused_at_registration(register):
    response = register(email="ana.lopez@example.com", password="ana.lopez@example.com")

    assert response.status_code == 422
    assert response.get_json()["errors"]["password"] == [
        "A password cannot contain your email address or your name."]


@pytest.mark.parametrize(("password", "ok"), [("Vq7#mPz2L", False), ("Vq7#mPz2Lk", True),
                                              ("Vq7#mPz2Lk" + "x" * 118, True),
                                              ("Vq7#mPz2Lk" + "x" * 119, False), ("ñandú verde 7q", True)])
def test_password_length_is_counted_in_characters_from_ten_to_128(password, ok):
    assert (passwords.password_problems(password) == []) is ok


def test_a_malformed_stored_hash_never_matches():
    assert passwords.verify_password("not-a-hash", STRONG_PASSWORD) is False
    assert passwords.needs_rehash("not-a-hash") is True
