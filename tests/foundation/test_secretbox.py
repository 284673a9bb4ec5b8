"""Encryption at rest: values carry their key id, rotate between keys, and never read back as a blank."""

from __future__ import annotations

import base64
import os

import pytest

from shared import secretbox
from shared.secretbox import EncryptionKeyError, Keyring


def _key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _ring(key_id="k1", key=None, previous=None) -> Keyring:
    return Keyring.from_settings(key=key or _key(), key_id=key_id, previous=previous)


def test_a_value_reads_back_and_names_its_key_but_not_its_text():
    ring = _ring("k7")

    stored = ring.encrypt("Ansiedad; revisar medicación")

    assert stored.startswith("v1:k7:")
    assert "Ansiedad" not in stored and "medicación" not in stored
    assert secretbox.key_id_of(stored) == "k7"
    assert ring.decrypt(stored) == "Ansiedad; revisar medicación"


def test_the_same_text_encrypts_differently_each_time():
    ring = _ring()

    assert ring.encrypt("same") != ring.encrypt("same")


def test_a_previous_key_still_reads_what_it_wrote():
    old_key = _key()
    old = _ring("k1", old_key)
    stored = old.encrypt("written under k1")

    rotated = _ring("k2", previous=f"k1:{old_key}")

    assert rotated.decrypt(stored) == "written under k1"
    assert secretbox.key_id_of(rotated.encrypt("new")) == "k2"


def test_a_value_under_a_key_that_is_not_configured_is_an_error_naming_the_key():
    stored = _ring("k1").encrypt("secret")

    with pytest.raises(EncryptionKeyError, match="'k1'.*not configured"):
        _ring("k2").decrypt(stored)


def test_a_wrong_key_under_the_right_id_is_an_error_not_a_blank():
    stored = _ring("k1").encrypt("secret")

    with pytest.raises(EncryptionKeyError, match="not the one it was written with"):
        _ring("k1").decrypt(stored)


def test_relabelling_a_value_with_another_key_id_fails_authentication():
    key = _key()
    ring = Keyring.from_settings(key=key, key_id="k2", previous=f"k1:{key}")
    stored = ring.encrypt("secret")

    with pytest.raises(EncryptionKeyError):
        ring.decrypt(stored.replace("v1:k2:", "v1:k1:"))


@pytest.mark.parametrize("value", ["plain text", "v1:k1:", "v1:k1:@@@", "v2:k1:AAAA", "v1:k1:AAAA"])
def test_a_value_not_in_the_encrypted_format_is_an_error(value):
    with pytest.raises(EncryptionKeyError):
        _ring().decrypt(value)


@pytest.mark.parametrize(("settings", "named"), [
    ({"key": None}, "ENCRYPTION_KEY"),
    ({"key": "c2hvcnQ"}, "ENCRYPTION_KEY"),
    ({"key_id": "k 1"}, "ENCRYPTION_KEY_ID"),
    ({"previous": "k0"}, "ENCRYPTION_PREVIOUS_KEYS"),
    ({"previous": "k0:c2hvcnQ"}, "ENCRYPTION_PREVIOUS_KEYS"),
    ({"previous": "k1:" + base64.b64encode(b"x" * 32).decode()}, "repeats"),
])
def test_bad_key_settings_are_refused_naming_the_setting(settings, named):
    arguments = {"key": _key(), "key_id": "k1", "previous": None} | settings

    with pytest.raises(EncryptionKeyError, match=named):
        Keyring.from_settings(**arguments)


def test_standard_and_url_safe_base64_keys_are_both_accepted():
    raw = bytes(range(200, 232))

    standard = Keyring.from_settings(key=base64.b64encode(raw).decode(), key_id="a", previous=None)
    url_safe = Keyring.from_settings(key=base64.urlsafe_b64encode(raw).decode().rstrip("="), key_id="a",
                                     previous=None)

    assert url_safe.decrypt(standard.encrypt("x")) == "x"


def test_the_module_functions_use_the_configured_key():
    from shared.config import get_settings

    stored = secretbox.encrypt("via settings")

    assert secretbox.key_id_of(stored) == get_settings().keyring.current_id
    assert secretbox.decrypt(stored) == "via settings"


def test_new_key_prints_a_usable_key(capsys):
    from shared.secretbox.__main__ import main

    assert main(["new-key"]) == 0
    key = capsys.readouterr().out.strip()

    assert Keyring.from_settings(key=key, key_id="k1", previous=None).decrypt(
        Keyring.from_settings(key=key, key_id="k1", previous=None).encrypt("ok")) == "ok"
