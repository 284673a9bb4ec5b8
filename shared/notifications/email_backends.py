"""Delivery backends with one `send(raw, *, to, sender) -> message id` interface: SES (v2 API), SMTP
and files.

Each send is one attempt, bounded by a timeout: the outbox (shared.notifications.delivery) is the only
retrier, so a provider that answers late never gets the same message twice from one delivery attempt.
"""

import email.parser
import email.policy
import logging
import smtplib
import ssl
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
                 aws_secret_access_key: str | None = None, timeout: float = 10, client=None):
        self.region, self.endpoint_url, self.timeout = region, endpoint_url, timeout
        self._credentials = (aws_access_key_id, aws_secret_access_key)
        self._client = client

    @property
    def client(self):
        if self._client is None:
            import boto3  # only where mail is sent: keeps boto3 out of every other function's cold start
            from botocore.config import Config

            key_id, secret = self._credentials
            # One HTTP request per send: botocore's own retries would resend a message the provider
            # accepted but answered late, and the outbox retries anyway.
            retries = {"mode": "standard", "total_max_attempts": 1}
            config = Config(connect_timeout=self.timeout, read_timeout=self.timeout, retries=retries)
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


SMTP_SECURITY = ("starttls", "tls", "none")


class SmtpSender:
    """SMTP submission to a relay: STARTTLS (port 587), implicit TLS (465) or none (a relay on the host),
    with AUTH when a user name is set. Every network step waits at most `timeout` seconds."""

    def __init__(self, *, host: str, port: int, security: str = "starttls", username: str | None = None,
                 password: str | None = None, timeout: float = 10, ca_file: str | None = None):
        if security not in SMTP_SECURITY:
            raise ValueError(f"unknown SMTP security {security!r}")
        self.host, self.port, self.security, self.timeout = host, port, security, timeout
        self.username, self.password, self.ca_file = username, password, ca_file

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            try:
                smtp.starttls(context=context)
            except BaseException:
                smtp.close()
                raise
        return smtp

    def send(self, raw: bytes, *, to: list[str], sender: str) -> str:
        """Send one raw MIME message; returns its Message-ID."""
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.sendmail(parseaddr(sender)[1] or sender, list(to), raw)
        except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused; one per message here
            code, reply = next(iter(exc.recipients.values()))
            raise _smtp_error(code, reply) from exc
        except smtplib.SMTPResponseException as exc:  # refused sender, data or credentials
            raise _smtp_error(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, dropped, TLS failure
            raise TransientEmailError(f"{type(exc).__name__}: {exc}", type(exc).__name__) from exc
        header = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(raw)["Message-ID"]
        return str(header or f"smtp-{uuid.uuid4().hex}").strip("<>")


def _smtp_error(code: int, reply: bytes | str) -> EmailError:
    """A 5xx reply is final; a 4xx one (mailbox busy, greylisting, too many connections) is worth a retry."""
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    error = PermanentEmailError if 500 <= code < 600 else TransientEmailError
    return error(f"SMTP {code}: {text}", f"SMTP{code}")


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
    """The backend named by `settings.email_backend` ("ses", "smtp" or "file")."""
    if settings.email_backend == "ses":
        return SesSender(region=settings.ses_region, endpoint_url=settings.ses_endpoint_url,
                         aws_access_key_id=settings.aws_access_key_id,
                         aws_secret_access_key=settings.aws_secret_access_key,
                         timeout=settings.email_timeout_seconds)
    if settings.email_backend == "smtp":
        return SmtpSender(host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
                          username=settings.smtp_username, password=settings.smtp_password,
                          timeout=settings.email_timeout_seconds, ca_file=settings.smtp_ca_file)
    if settings.email_backend == "file":
        return FileSender(settings.email_dir)
    raise ValueError(f"unknown email backend {settings.email_backend!r}")
