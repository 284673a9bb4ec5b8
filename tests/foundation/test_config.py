"""Settings: read once from the environment or OpenFaaS secret files; a bad value stops start-up by name."""

from __future__ import annotations

import secrets

import pytest

from shared.config import RATE_LIMIT_DEFAULTS, ConfigError, load_settings

KEY = secrets.token_urlsafe(48)
ENCRYPTION_KEY = "ZW5jcnlwdGlvbi1rZXktZm9yLXRoZS1jb25maWctdHM"  # 32 bytes, base64
# What production needs at the least: real secrets (two different ones), its https address, nginx in front.
BASE = {"DATABASE_URL": "postgresql://agenda@db:5432/agenda", "JWT_SECRET": KEY,
        "LINK_SECRET": secrets.token_urlsafe(48), "ENCRYPTION_KEY": ENCRYPTION_KEY,
        "PUBLIC_BASE_URL": "https://agenda.example.org", "TRUSTED_PROXY_COUNT": "1",
        "SECRETS_DIR": "/nonexistent"}


def test_defaults_are_sensible_for_production():
    settings = load_settings(BASE)

    assert settings.environment == "production"
    assert settings.database_url == "postgresql+psycopg://agenda@db:5432/agenda"
    assert settings.access_token_minutes == 15 and settings.refresh_token_days == 30
    assert settings.redis_url is None and settings.huey_backend == "sqlite"
    assert settings.rate_limit_storage_url == "memory://"
    assert settings.cors_origins == () and settings.trusted_proxy_count == 1
    assert settings.rate_limits == RATE_LIMIT_DEFAULTS
    assert (settings.database_statement_timeout_ms, settings.database_lock_timeout_ms) == (5000, 2000)
    assert settings.redis_timeout_ms == 500


def test_secrets_are_read_from_openfaas_secret_files(tmp_path):
    (tmp_path / "agenda-database-url").write_text("postgresql://from-secret@db/agenda\n")
    jwt_secret = secrets.token_urlsafe(48)
    (tmp_path / "agenda-jwt-secret").write_text(jwt_secret)
    env = {**BASE, "SECRETS_DIR": str(tmp_path)}
    del env["DATABASE_URL"], env["JWT_SECRET"]

    settings = load_settings(env)

    assert settings.database_url == "postgresql+psycopg://from-secret@db/agenda"
    assert settings.jwt_secret == jwt_secret


def test_the_environment_wins_over_a_secret_file(tmp_path):
    (tmp_path / "agenda-jwt-secret").write_text(secrets.token_urlsafe(48))

    settings = load_settings({**BASE, "SECRETS_DIR": str(tmp_path)})

    assert settings.jwt_secret == KEY


@pytest.mark.parametrize(("name", "value"), [
    ("DATABASE_URL", None),
    ("DATABASE_URL", "mysql://db/agenda"),
    ("JWT_SECRET", None),
    ("JWT_SECRET", "short"),
    ("LINK_SECRET", "short"),
    ("JWT_PREVIOUS_SECRETS", "short"),
    ("REDIS_URL", "http://cache"),
    ("ACCESS_TOKEN_MINUTES", "forever"),
    ("ACCESS_TOKEN_MINUTES", "0"),
    ("MAX_BODY_BYTES", "10"),
    ("EMAIL_BACKEND", "smtp"),
    ("HUEY_BACKEND", "redis"),
    ("PUBLIC_BASE_URL", "ftp://example.com"),
    ("CORS_ORIGINS", "app.example.com"),
    ("AGENDA_ENV", "staging"),
    ("TRUSTED_PROXY_COUNT", "9"),
    ("RATE_LIMIT_LOGIN", "lots"),
    ("RATE_LIMIT_PUBLIC_BOOKING", "10 a minute"),
    ("DATABASE_STATEMENT_TIMEOUT_MS", "0"),
    ("DATABASE_LOCK_TIMEOUT_MS", "9000"),  # longer than the statement timeout (5000)
    ("REDIS_TIMEOUT_MS", "fast"),
    ("SMTP_SECURITY", "ssl"),
    ("EMAIL_TIMEOUT_SECONDS", "0"),
    ("ENCRYPTION_KEY", None),
    ("ENCRYPTION_KEY", "too-short"),
    ("ENCRYPTION_KEY_ID", "has:colon"),
    ("ENCRYPTION_PREVIOUS_KEYS", "no-id-here"),
    ("ENCRYPTION_PREVIOUS_KEYS", "k0:short"),
])
def test_a_missing_or_malformed_setting_stops_start_up_naming_it(name, value):
    env = dict(BASE)
    if value is None:
        env.pop(name)
    else:
        env[name] = value

    with pytest.raises(ConfigError) as caught:
        load_settings(env)

    assert name in str(caught.value)


def test_every_rate_limit_is_a_setting():
    settings = load_settings({**BASE, "RATE_LIMIT_LOGIN": "30/minute", "RATE_LIMIT_CLIENTS_CREATED": "5/day"})

    assert settings.rate_limits["login"] == "30/minute"
    assert settings.rate_limits["clients_created"] == "5/day"
    assert settings.rate_limits["register"] == RATE_LIMIT_DEFAULTS["register"]


DEVELOPMENT_SECRET = "development-only-jwt-secret-never-use-in-production"  # what `make run` uses


@pytest.mark.parametrize(("changes", "named"), [
    ({"JWT_SECRET": "CHANGE-ME-at-least-32-random-bytes"}, "JWT_SECRET"),       # agenda.env.example
    ({"LINK_SECRET": "CHANGE-ME-at-least-32-random-bytes"}, "LINK_SECRET"),
    ({"JWT_SECRET": DEVELOPMENT_SECRET}, "JWT_SECRET"),
    ({"JWT_SECRET": "k" * 64}, "JWT_SECRET"),                                    # long, no randomness
    ({"LINK_SECRET": "abcdefghijabcdefghijabcdefghij12"}, "LINK_SECRET"),        # 32 bytes, 10 symbols
    ({"JWT_PREVIOUS_SECRETS": "0123456789" * 4}, "JWT_PREVIOUS_SECRETS"),
    ({"LINK_SECRET": KEY}, "JWT_SECRET and LINK_SECRET must be different"),
    ({"PUBLIC_BASE_URL": None}, "PUBLIC_BASE_URL"),
    ({"PUBLIC_BASE_URL": "http://agenda.example.org"}, "PUBLIC_BASE_URL"),
    ({"TRUSTED_PROXY_COUNT": None}, "TRUSTED_PROXY_COUNT"),
    ({"TRUSTED_PROXY_COUNT": "0"}, "TRUSTED_PROXY_COUNT"),
])
def test_production_refuses_to_start_with_unsafe_settings(changes, named):
    env = {**BASE, **changes}
    env = {name: value for name, value in env.items() if value is not None}

    with pytest.raises(ConfigError) as caught:
        load_settings(env)

    assert named in str(caught.value)
    # The same values are accepted where they are meant to be: development and tests.
    assert load_settings({**env, "AGENDA_ENV": "development"}).environment == "development"


def test_the_shipped_example_file_does_not_start_in_production():
    from tests.conftest import REPO

    example = {}
    for line in (REPO / "openfaas" / "agenda.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            example[name] = value.strip('"')

    with pytest.raises(ConfigError) as caught:
        load_settings({**example, "ENCRYPTION_KEY": ENCRYPTION_KEY, "SECRETS_DIR": "/nonexistent"})

    assert "JWT_SECRET is a placeholder" in str(caught.value)
    assert "LINK_SECRET is a placeholder" in str(caught.value)
