"""Settings: read once from the environment or OpenFaaS secret files; a bad value stops start-up by name."""

from __future__ import annotations

import pytest

from shared.config import ConfigError, load_settings

KEY = "k" * 40
ENCRYPTION_KEY = "ZW5jcnlwdGlvbi1rZXktZm9yLXRoZS1jb25maWctdHM"  # 32 bytes, base64
BASE = {"DATABASE_URL": "postgresql://agenda@db:5432/agenda", "JWT_SECRET": KEY, "LINK_SECRET": KEY,
        "ENCRYPTION_KEY": ENCRYPTION_KEY, "SECRETS_DIR": "/nonexistent"}


def test_defaults_are_sensible_for_production():
    settings = load_settings(BASE)

    assert settings.environment == "production"
    assert settings.database_url == "postgresql+psycopg://agenda@db:5432/agenda"
    assert settings.access_token_minutes == 15 and settings.refresh_token_days == 30
    assert settings.redis_url is None and settings.huey_backend == "sqlite"
    assert settings.rate_limit_storage_url == "memory://"
    assert settings.cors_origins == () and settings.trusted_proxy_count == 0
    assert (settings.database_statement_timeout_ms, settings.database_lock_timeout_ms) == (5000, 2000)
    assert settings.redis_timeout_ms == 500


def test_secrets_are_read_from_openfaas_secret_files(tmp_path):
    (tmp_path / "agenda-database-url").write_text("postgresql://from-secret@db/agenda\n")
    (tmp_path / "agenda-jwt-secret").write_text("s" * 48)
    env = {"LINK_SECRET": KEY, "ENCRYPTION_KEY": ENCRYPTION_KEY, "SECRETS_DIR": str(tmp_path)}

    settings = load_settings(env)

    assert settings.database_url == "postgresql+psycopg://from-secret@db/agenda"
    assert settings.jwt_secret == "s" * 48


def test_the_environment_wins_over_a_secret_file(tmp_path):
    (tmp_path / "agenda-jwt-secret").write_text("f" * 48)

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
