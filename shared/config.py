"""Every setting, read once from the environment or OpenFaaS secret files, and validated at start-up."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from shared.secretbox import EncryptionKeyError, Keyring

DEFAULT_SECRETS_DIR = "/var/openfaas/secrets"


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    environment: str
    database_url: str
    redis_url: str | None
    jwt_secret: str
    jwt_previous_secrets: tuple[str, ...]
    jwt_key_id: str
    jwt_issuer: str
    jwt_audience: str
    access_token_minutes: int
    refresh_token_days: int
    link_secret: str
    public_base_url: str
    dashboard_base_url: str | None
    cors_origins: tuple[str, ...]
    max_body_bytes: int
    email_backend: str
    email_dir: str
    email_sender: str
    ses_region: str
    ses_endpoint_url: str | None
    aws_access_key_id: str | None
    aws_secret_access_key: str | None
    metrics_token: str | None
    rate_limit_storage_url: str
    huey_backend: str
    huey_sqlite_path: str
    trusted_proxy_count: int
    request_timeout_seconds: int | None
    keyring: Keyring
    record_retention_months: int


def _read(name: str, environ: dict[str, str], secrets_dir: Path) -> str | None:
    """An environment variable wins; otherwise the OpenFaaS secret file named like `agenda-jwt-secret`."""
    value = environ.get(name)
    if value is not None and value != "":
        return value
    for candidate in (f"agenda-{name.lower().replace('_', '-')}", name.lower().replace("_", "-")):
        path = secrets_dir / candidate
        if path.is_file():
            return path.read_text().strip()
    return None


def _int(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _url(name: str, raw: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in schemes:
        raise ConfigError(f"{name} must be a URL with scheme {' or '.join(schemes)}, got {raw!r}")
    return raw


def _database_url(raw: str | None) -> str:
    if not raw:
        raise ConfigError("DATABASE_URL is required (e.g. postgresql://user:pass@host:5432/agenda)")
    _url("DATABASE_URL", raw, ("postgresql", "postgres", "postgresql+psycopg"))
    # One driver everywhere: psycopg 3.
    scheme, rest = raw.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme != "postgresql+psycopg" else raw


def load_keyring(environ: dict[str, str] | None = None) -> Keyring:
    """Only the encryption keys (ENCRYPTION_KEY, ENCRYPTION_KEY_ID, ENCRYPTION_PREVIOUS_KEYS), for a tool
    that needs nothing else (a data migration); ConfigError naming the bad setting."""
    env = dict(os.environ if environ is None else environ)
    secrets_dir = Path(env.get("SECRETS_DIR", DEFAULT_SECRETS_DIR))

    def get(name: str) -> str | None:
        return _read(name, env, secrets_dir)

    try:
        return Keyring.from_settings(key=get("ENCRYPTION_KEY"), key_id=get("ENCRYPTION_KEY_ID") or "k1",
                                     previous=get("ENCRYPTION_PREVIOUS_KEYS"))
    except EncryptionKeyError as error:
        raise ConfigError(str(error)) from None


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build Settings from an environment mapping; raises ConfigError naming the bad setting."""
    env = dict(os.environ if environ is None else environ)
    secrets_dir = Path(env.get("SECRETS_DIR", DEFAULT_SECRETS_DIR))

    def get(name: str) -> str | None:
        return _read(name, env, secrets_dir)

    environment = get("AGENDA_ENV") or "production"
    if environment not in ("production", "development", "test"):
        raise ConfigError(f"AGENDA_ENV must be production, development or test, got {environment!r}")

    jwt_secret = get("JWT_SECRET")
    if not jwt_secret:
        raise ConfigError("JWT_SECRET is required (at least 32 bytes of randomness)")
    if len(jwt_secret.encode()) < 32:
        raise ConfigError("JWT_SECRET must be at least 32 bytes (256 bits)")
    previous = tuple(s for s in (get("JWT_PREVIOUS_SECRETS") or "").split(",") if s.strip())
    for secret in previous:
        if len(secret.encode()) < 32:
            raise ConfigError("JWT_PREVIOUS_SECRETS: every key must be at least 32 bytes")

    link_secret = get("LINK_SECRET")
    if not link_secret or len(link_secret.encode()) < 32:
        raise ConfigError("LINK_SECRET is required and must be at least 32 bytes")

    redis_url = get("REDIS_URL")
    if redis_url:
        _url("REDIS_URL", redis_url, ("redis", "rediss", "unix"))

    public_base_url = _url("PUBLIC_BASE_URL", get("PUBLIC_BASE_URL") or "http://127.0.0.1:8080",
                           ("http", "https")).rstrip("/")

    dashboard = get("DASHBOARD_BASE_URL")
    dashboard_base_url = None
    if dashboard:
        dashboard_base_url = _url("DASHBOARD_BASE_URL", dashboard, ("http", "https")).rstrip("/")

    email_backend = get("EMAIL_BACKEND") or "ses"
    if email_backend not in ("ses", "file"):
        raise ConfigError(f"EMAIL_BACKEND must be ses or file, got {email_backend!r}")

    huey_backend = get("HUEY_BACKEND") or ("redis" if redis_url else "sqlite")
    if huey_backend not in ("redis", "sqlite", "memory"):
        raise ConfigError(f"HUEY_BACKEND must be redis, sqlite or memory, got {huey_backend!r}")
    if huey_backend == "redis" and not redis_url:
        raise ConfigError("HUEY_BACKEND=redis needs REDIS_URL")

    ses_endpoint = get("SES_ENDPOINT_URL")
    if ses_endpoint:
        _url("SES_ENDPOINT_URL", ses_endpoint, ("http", "https"))

    origins = tuple(o.strip().rstrip("/") for o in (get("CORS_ORIGINS") or "").split(",") if o.strip())
    for origin in origins:
        _url("CORS_ORIGINS", origin, ("http", "https"))

    keyring = load_keyring(env)

    return Settings(
        environment=environment,
        database_url=_database_url(get("DATABASE_URL")),
        redis_url=redis_url,
        jwt_secret=jwt_secret,
        jwt_previous_secrets=previous,
        jwt_key_id=get("JWT_KEY_ID") or "k1",
        jwt_issuer=get("JWT_ISSUER") or "agenda",
        jwt_audience=get("JWT_AUDIENCE") or "agenda-api",
        access_token_minutes=_int("ACCESS_TOKEN_MINUTES", get("ACCESS_TOKEN_MINUTES"), 15, 1, 60),
        refresh_token_days=_int("REFRESH_TOKEN_DAYS", get("REFRESH_TOKEN_DAYS"), 30, 1, 90),
        link_secret=link_secret,
        public_base_url=public_base_url,
        dashboard_base_url=dashboard_base_url,
        cors_origins=origins,
        max_body_bytes=_int("MAX_BODY_BYTES", get("MAX_BODY_BYTES"), 64 * 1024, 1024, 10 * 1024 * 1024),
        email_backend=email_backend,
        email_dir=get("EMAIL_DIR") or ".data/outbox",
        email_sender=get("EMAIL_SENDER") or "Agenda <no-reply@agenda.example>",
        ses_region=get("SES_REGION") or "eu-west-1",
        ses_endpoint_url=ses_endpoint,
        aws_access_key_id=get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=get("AWS_SECRET_ACCESS_KEY"),
        metrics_token=get("METRICS_TOKEN"),
        rate_limit_storage_url=get("RATE_LIMIT_STORAGE_URL") or (redis_url or "memory://"),
        huey_backend=huey_backend,
        huey_sqlite_path=get("HUEY_SQLITE_PATH") or ".data/huey.sqlite3",
        trusted_proxy_count=_int("TRUSTED_PROXY_COUNT", get("TRUSTED_PROXY_COUNT"), 0, 0, 5),
        request_timeout_seconds=(_int("REQUEST_TIMEOUT_SECONDS", get("REQUEST_TIMEOUT_SECONDS"), 0, 1, 300)
                                 if get("REQUEST_TIMEOUT_SECONDS") else None),
        keyring=keyring,
        record_retention_months=_int("RECORD_RETENTION_MONTHS", get("RECORD_RETENTION_MONTHS"), 24, 1, 240),
    )


_lock = threading.Lock()
_settings: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, read on first use."""
    global _settings
    if _settings is None:
        with _lock:
            if _settings is None:
                _settings = load_settings()
    return _settings


def reset_settings() -> None:
    """Forget the cached settings so the next get_settings() reads the environment again (tests)."""
    global _settings
    _settings = None
