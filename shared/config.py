"""Every setting, read once from the environment or OpenFaaS secret files, and validated at start-up."""

from __future__ import annotations

import math
import os
import re
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from shared.secretbox.keys import EncryptionKeyError, Keyring

DEFAULT_SECRETS_DIR = "/var/openfaas/secrets"
# SMTP_SECURITY and the port it implies unless SMTP_PORT says otherwise.
SMTP_PORTS = {"starttls": 587, "tls": 465, "none": 25}

# Every rate limit, in the `limits` notation ("10/minute", "5/15minutes"), with today's value as default.
# Setting RATE_LIMIT_<NAME> (e.g. RATE_LIMIT_LOGIN=30/minute) changes one.
RATE_LIMIT_DEFAULTS = {
    "login": "20/minute",                      # per client address (IPv6: per /64)
    "register": "10/hour",                     # per client address
    "refresh": "60/minute",                    # per client address
    "forgot_password": "5/15minutes",          # per client address
    "reset_password": "10/15minutes",          # per client address
    "reset_emails_per_account": "3/hour",      # per account; past it nothing more is sent, silently
    "email_verification": "5/hour",            # verification emails per account
    "public_slots": "120/minute",              # per client address
    "public_booking": "10/minute",             # per client address
    "public_booking_page": "60/minute",        # per professional's page, valid bookings only
    "token_links": "30/minute",                # client links (view, cancel, reschedule), per address
    "clients_created": "200/day",              # per professional
    "appointments_created": "300/day",         # per professional
    "emails_per_professional": "500/day",      # emails to a professional's clients, per professional
}
_RATE = re.compile(r"\s*\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day|month|year)s?\s*",
                   re.IGNORECASE)

# Values shipped in this repository as examples or for development: never secrets in production.
KNOWN_PLACEHOLDERS = ("change-me", "changeme", "development-only", "placeholder", "example", "secret-key")
MIN_SECRET_BITS = 128
MIN_SECRET_SYMBOLS = 12


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    environment: str
    database_url: str
    database_statement_timeout_ms: int
    database_lock_timeout_ms: int
    redis_url: str | None
    redis_timeout_ms: int
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
    email_timeout_seconds: int
    smtp_host: str | None
    smtp_port: int
    smtp_security: str
    smtp_username: str | None
    smtp_password: str | None
    smtp_ca_file: str | None
    ses_region: str
    ses_endpoint_url: str | None
    aws_access_key_id: str | None
    aws_secret_access_key: str | None
    metrics_token: str | None
    rate_limit_storage_url: str
    huey_backend: str
    huey_sqlite_path: str
    trusted_proxy_count: int
    rate_limits: dict[str, str]
    request_timeout_seconds: int | None
    api_base_url: str
    calendar_source_allowed_hosts: frozenset[str]
    calendar_source_max_bytes: int
    calendar_source_timeout_seconds: int
    calendar_source_stale_hours: int
    keyring: Keyring
    record_retention_months: int
    open_holds_per_address: int
    open_holds_per_professional: int


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


def _rate_limits(get) -> dict[str, str]:
    rules = {}
    for name, default in RATE_LIMIT_DEFAULTS.items():
        setting = f"RATE_LIMIT_{name.upper()}"
        rule = get(setting) or default
        if _RATE.fullmatch(rule) is None:
            raise ConfigError(f"{setting} must be a rate such as 10/minute or 5/15minutes, got {rule!r}")
        rules[name] = rule.strip()
    return rules


def secret_bits(secret: str) -> float:
    """An estimate of a secret's randomness: its length times the entropy of its character distribution."""
    counts = Counter(secret)
    total = len(secret)
    per_symbol = -sum(n / total * math.log2(n / total) for n in counts.values()) if total else 0.0
    return per_symbol * total


def _production_problems(settings: Settings) -> list[str]:
    """What makes settings unsafe for production: each entry names the setting."""
    problems = []
    secrets = {"JWT_SECRET": settings.jwt_secret, "LINK_SECRET": settings.link_secret}
    for index, previous in enumerate(settings.jwt_previous_secrets):
        secrets[f"JWT_PREVIOUS_SECRETS (key {index})"] = previous
    for name, value in secrets.items():
        lowered = value.lower()
        if any(marker in lowered for marker in KNOWN_PLACEHOLDERS):
            problems.append(f"{name} is a placeholder or development value; generate one "
                            "(python -c 'import secrets; print(secrets.token_urlsafe(48))')")
        elif len(set(value)) < MIN_SECRET_SYMBOLS or secret_bits(value) < MIN_SECRET_BITS:
            problems.append(f"{name} is too short or too predictable (at least {MIN_SECRET_BITS} bits of "
                            "randomness, e.g. secrets.token_urlsafe(48))")
    if settings.jwt_secret == settings.link_secret or settings.link_secret in settings.jwt_previous_secrets:
        problems.append("JWT_SECRET and LINK_SECRET must be different keys")
    if not settings.public_base_url.startswith("https://"):
        problems.append("PUBLIC_BASE_URL must be set to the https:// address clients use")
    if settings.trusted_proxy_count == 0:
        problems.append("TRUSTED_PROXY_COUNT must be at least 1 behind nginx and the gateway "
                        "(with 0 every client is the gateway's address and shares one set of limits)")
    return problems


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

    raw_base_url = get("PUBLIC_BASE_URL")
    if raw_base_url is None and environment == "production":
        raise ConfigError("PUBLIC_BASE_URL is required in production (the https:// address clients use)")
    public_base_url = _url("PUBLIC_BASE_URL", raw_base_url or "http://127.0.0.1:8080",
                           ("http", "https")).rstrip("/")

    dashboard = get("DASHBOARD_BASE_URL")
    dashboard_base_url = None
    if dashboard:
        dashboard_base_url = _url("DASHBOARD_BASE_URL", dashboard, ("http", "https")).rstrip("/")

    email_backend = get("EMAIL_BACKEND") or "ses"
    if email_backend not in ("ses", "smtp", "file"):
        raise ConfigError(f"EMAIL_BACKEND must be ses, smtp or file, got {email_backend!r}")
    smtp_security = get("SMTP_SECURITY") or "starttls"
    if smtp_security not in SMTP_PORTS:
        raise ConfigError(f"SMTP_SECURITY must be starttls, tls or none, got {smtp_security!r}")
    smtp_host, smtp_username = get("SMTP_HOST"), get("SMTP_USERNAME")
    if email_backend == "smtp" and not smtp_host:
        raise ConfigError("SMTP_HOST is required with EMAIL_BACKEND=smtp")
    if smtp_username and smtp_security == "none":
        raise ConfigError("SMTP_USERNAME needs SMTP_SECURITY starttls or tls: "
                          "a password is never sent in clear")

    huey_backend = get("HUEY_BACKEND") or ("redis" if redis_url else "sqlite")
    if huey_backend not in ("redis", "sqlite", "memory"):
        raise ConfigError(f"HUEY_BACKEND must be redis, sqlite or memory, got {huey_backend!r}")
    if huey_backend == "redis" and not redis_url:
        raise ConfigError("HUEY_BACKEND=redis needs REDIS_URL")

    ses_endpoint = get("SES_ENDPOINT_URL")
    if ses_endpoint:
        _url("SES_ENDPOINT_URL", ses_endpoint, ("http", "https"))

    statement_timeout = _int("DATABASE_STATEMENT_TIMEOUT_MS", get("DATABASE_STATEMENT_TIMEOUT_MS"), 5000,
                             100, 600_000)
    lock_timeout = _int("DATABASE_LOCK_TIMEOUT_MS", get("DATABASE_LOCK_TIMEOUT_MS"), 2000, 10, 600_000)
    if lock_timeout > statement_timeout:
        raise ConfigError("DATABASE_LOCK_TIMEOUT_MS must not exceed DATABASE_STATEMENT_TIMEOUT_MS "
                          f"({lock_timeout} > {statement_timeout})")
    api_base_url = _url("API_BASE_URL", get("API_BASE_URL") or public_base_url, ("http", "https")).rstrip("/")
    # Host names or addresses a calendar source may reach even when they resolve to a private address.
    allowed_hosts = frozenset(h.strip().lower().strip("[]") for h in
                              (get("CALENDAR_SOURCE_ALLOWED_HOSTS") or "").split(",") if h.strip())

    origins = tuple(o.strip().rstrip("/") for o in (get("CORS_ORIGINS") or "").split(",") if o.strip())
    for origin in origins:
        _url("CORS_ORIGINS", origin, ("http", "https"))

    keyring = load_keyring(env)

    settings = Settings(
        environment=environment,
        database_url=_database_url(get("DATABASE_URL")),
        database_statement_timeout_ms=statement_timeout,
        database_lock_timeout_ms=lock_timeout,
        redis_url=redis_url,
        redis_timeout_ms=_int("REDIS_TIMEOUT_MS", get("REDIS_TIMEOUT_MS"), 500, 50, 10_000),
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
        email_timeout_seconds=_int("EMAIL_TIMEOUT_SECONDS", get("EMAIL_TIMEOUT_SECONDS"), 10, 1, 60),
        smtp_host=smtp_host,
        smtp_port=_int("SMTP_PORT", get("SMTP_PORT"), SMTP_PORTS[smtp_security], 1, 65535),
        smtp_security=smtp_security,
        smtp_username=smtp_username,
        smtp_password=get("SMTP_PASSWORD"),
        smtp_ca_file=get("SMTP_CA_FILE"),
        ses_region=get("SES_REGION") or "eu-west-1",
        ses_endpoint_url=ses_endpoint,
        aws_access_key_id=get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=get("AWS_SECRET_ACCESS_KEY"),
        metrics_token=get("METRICS_TOKEN"),
        rate_limit_storage_url=get("RATE_LIMIT_STORAGE_URL") or (redis_url or "memory://"),
        huey_backend=huey_backend,
        huey_sqlite_path=get("HUEY_SQLITE_PATH") or ".data/huey.sqlite3",
        trusted_proxy_count=_int("TRUSTED_PROXY_COUNT", get("TRUSTED_PROXY_COUNT"), 0, 0, 5),
        rate_limits=_rate_limits(get),
        request_timeout_seconds=(_int("REQUEST_TIMEOUT_SECONDS", get("REQUEST_TIMEOUT_SECONDS"), 0, 1, 300)
                                 if get("REQUEST_TIMEOUT_SECONDS") else None),
        api_base_url=api_base_url,
        calendar_source_allowed_hosts=allowed_hosts,
        calendar_source_max_bytes=_int("CALENDAR_SOURCE_MAX_BYTES", get("CALENDAR_SOURCE_MAX_BYTES"),
                                       5 * 1024 * 1024, 1024, 50 * 1024 * 1024),
        calendar_source_timeout_seconds=_int("CALENDAR_SOURCE_TIMEOUT_SECONDS",
                                             get("CALENDAR_SOURCE_TIMEOUT_SECONDS"), 20, 1, 120),
        calendar_source_stale_hours=_int("CALENDAR_SOURCE_STALE_HOURS", get("CALENDAR_SOURCE_STALE_HOURS"),
                                         24, 1, 720),
        keyring=keyring,
        record_retention_months=_int("RECORD_RETENTION_MONTHS", get("RECORD_RETENTION_MONTHS"), 24, 1, 240),
        open_holds_per_address=_int("OPEN_HOLDS_PER_ADDRESS", get("OPEN_HOLDS_PER_ADDRESS"), 3, 1, 100),
        open_holds_per_professional=_int("OPEN_HOLDS_PER_PROFESSIONAL", get("OPEN_HOLDS_PER_PROFESSIONAL"),
                                         20, 1, 1000),
    )
    if environment == "production":
        problems = _production_problems(settings)
        if problems:
            raise ConfigError("Unsafe settings for production (AGENDA_ENV=production): "
                              + "; ".join(problems))
    return settings


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
