"""Delivery backends with one `send(raw, *, to, sender) -> message id` interface: SES (v2 API) and files."""

import logging
import uuid
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

# Retrying may succeed: the provider is busy, down or unreachable.
TRANSIENT_CODES = frozenset({
    "Throttling", "ThrottlingException", "TooManyRequestsException", "LimitExceededException",
    "ServiceUnavailable", "ServiceUnavailableException", "InternalFailure", "InternalServerError",
    "InternalServiceError", "RequestTimeout", "RequestTimeoutException", "ExpiredToken",
    "ExpiredTokenException",
})
# Retrying cannot succeed: the message, the sender or the account is refused.
PERMANENT_CODES = frozenset({
    "MessageRejected", "MailFromDomainNotVerified", "MailFromDomainNotVerifiedException",
    "BadRequestException", "AccountSuspended", "AccountSuspendedException", "SendingPausedException",
    "InvalidParameterValue", "InvalidParameterValueException", "NotFoundException",
    "AccessDeniedException", "ValidationException",
})


class EmailError(Exception):
    """Sending failed; `code` is the provider's error code when there is one."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


class TransientEmailError(EmailError):
    """Worth retrying later (throttling, provider 5xx, network trouble)."""


class PermanentEmailError(EmailError):
    """Will fail again unchanged (rejected message, unverified sender, suspended account, bad address)."""


class EmailSender(Protocol):
    def send(self, raw: bytes, *, to: list[str], sender: str) -> str: ...


def classify_client_error(exc: Exception) -> EmailError:
    """Map a botocore ClientError to Transient/PermanentEmailError, by code, then by HTTP status."""
    error = getattr(exc, "response", {}).get("Error", {})
    code = error.get("Code") or "Unknown"
    status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    message = f"{code}: {error.get('Message') or exc}"
    if code in TRANSIENT_CODES:
        return TransientEmailError(message, code)
    if code in PERMANENT_CODES:
        return PermanentEmailError(message, code)
    return TransientEmailError(message, code) if status >= 500 or status == 429 else PermanentEmailError(
        message, code)


class SesSender:
    """Amazon SES v2 `SendEmail` with raw content; any SES-compatible endpoint via `endpoint_url`."""

    def __init__(self, *, region: str, endpoint_url: str | None = None, aws_access_key_id: str | None = None,
                 aws_secret_access_key: str | None = None, client=None):
        self.region, self.endpoint_url = region, endpoint_url
        self._credentials = (aws_access_key_id, aws_secret_access_key)
        self._client = client

    @property
    def client(self):
        if self._client is None:
            import boto3  # only where mail is sent: keeps boto3 out of every other function's cold start
            from botocore.config import Config

            key_id, secret = self._credentials
            retries = {"mode": "standard", "max_attempts": 3}
            config = Config(connect_timeout=5, read_timeout=20, retries=retries)
            self._client = boto3.client(
                "sesv2", region_name=self.region, endpoint_url=self.endpoint_url or None,
                aws_access_key_id=key_id or None, aws_secret_access_key=secret or None, config=config,
            )
        return self._client

    def send(self, raw: bytes, *, to: list[str], sender: str) -> str:
        """Send one raw MIME message; returns the SES message id."""
        from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

        try:
            response = self.client.send_email(
                FromEmailAddress=parseaddr(sender)[1] or sender,
                Destination={"ToAddresses": list(to)},
                Content={"Raw": {"Data": raw}},
            )
        except ClientError as exc:
            raise classify_client_error(exc) from exc
        except ParamValidationError as exc:
            raise PermanentEmailError(str(exc), "ParamValidationError") from exc
        except BotoCoreError as exc:  # connection refused/timeouts, missing credentials: retry later
            raise TransientEmailError(str(exc), type(exc).__name__) from exc
        return response["MessageId"]


class FileSender:
    """Writes each message to `<directory>/<timestamp>-<uuid>.eml` (development and tests)."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def send(self, raw: bytes, *, to: list[str], sender: str) -> str:
        """Store the message; returns the file name stem as the message id."""
        message_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}"
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{message_id}.eml"
        path.write_bytes(raw)
        log.info("email written to %s (from %s to %s)", path, sender, ", ".join(to))
        return message_id


class MemorySender:
    """Keeps sent messages in `sent` as (raw, to, sender) tuples; a fake for tests of callers."""

    def __init__(self):
        self.sent: list[tuple[bytes, list[str], str]] = []

    def send(self, raw: bytes, *, to: list[str], sender: str) -> str:
        self.sent.append((raw, list(to), sender))
        return f"memory-{len(self.sent)}"


def get_sender(settings) -> EmailSender:
    """The backend named by `settings.email_backend` ("ses" or "file")."""
    if settings.email_backend == "ses":
        return SesSender(region=settings.ses_region, endpoint_url=settings.ses_endpoint_url,
                         aws_access_key_id=settings.aws_access_key_id,
                         aws_secret_access_key=settings.aws_secret_access_key)
    if settings.email_backend == "file":
        return FileSender(settings.email_dir)
    raise ValueError(f"unknown email backend {settings.email_backend!r}")
