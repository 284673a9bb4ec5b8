"""Email provider faults: a slow SES-compatible provider gets one request per delivery attempt, and
SMTP delivery against a real SMTP server (AUTH, STARTTLS, implicit TLS, a refused recipient, a server
that is down)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import ssl
import threading
from collections import Counter
from email.utils import parseaddr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from shared.config import get_settings, reset_settings
from shared.notifications import delivery, outbox
from shared.notifications.service import deliver
from tests.benchmarks.harness import free_port
from tests.notifications.outbox_support import T0, book, notification, parse

# aiosmtpd warns that AUTH without its own STARTTLS is unsafe; on the implicit-TLS port it is not.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
START = dt.datetime(2027, 3, 25, 9, 0, tzinfo=dt.UTC)
USER, PASSWORD = "agenda-relay", "relay-password-1"


def write_notifications(uow, professional, *recipients: str) -> list[int]:
    """A booking confirmation per recipient, for one appointment, committed."""
    appointment, _ = book(uow.session, professional, start=START)
    ids = [outbox.enqueue(uow.session, kind="booking_confirmation", recipient=recipient,
                          appointment_id=appointment.id, professional_id=professional.id)
           for recipient in recipients]
    uow.commit()
    return ids


# A slow SES-compatible provider


class SlowProvider(ThreadingHTTPServer):
    """SES v2 SendEmail that, while `slow` is set, answers only after the client has given up."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _ProviderHandler)
        self.requests: Counter[str] = Counter()  # per recipient, i.e. per notification here
        self.slow = threading.Event()
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProviderHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        raw = base64.b64decode(body["Content"]["Raw"]["Data"])
        self.server.requests[parseaddr(parse(raw)["To"])[1]] += 1
        if self.server.slow.is_set():
            self.server.release.wait(60)  # past the client's read timeout; released at the end
        answer = json.dumps({"MessageId": f"slow-{sum(self.server.requests.values())}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_provider(monkeypatch):
    provider = SlowProvider()
    thread = threading.Thread(target=provider.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("EMAIL_BACKEND", "ses")
    monkeypatch.setenv("SES_ENDPOINT_URL", provider.url)
    monkeypatch.setenv("EMAIL_TIMEOUT_SECONDS", "1")
    reset_settings()
    yield provider
    provider.release.set()
    provider.shutdown()
    provider.server_close()


def test_a_provider_answering_after_the_timeout_gets_one_request_per_attempt(slow_provider, uow,
                                                                             professional):
    ids = write_notifications(uow, professional, "lucia@example.com", "pro@example.com")
    slow_provider.slow.set()

    outcomes = [deliver(nid, now=T0) for nid in ids]

    assert [o.status for o in outcomes] == ["retry", "retry"]
    assert all("timeout" in o.error.lower() for o in outcomes), [o.error for o in outcomes]
    assert slow_provider.requests == {"lucia@example.com": 1, "pro@example.com": 1}

    slow_provider.slow.clear()
    sent = [deliver(nid, now=outcome.retry_at) for nid, outcome in zip(ids, outcomes, strict=True)]

    assert [o.status for o in sent] == ["sent", "sent"]
    assert slow_provider.requests == {"lucia@example.com": 2, "pro@example.com": 2}  # the outbox's retry


def test_a_claim_outlives_a_send_by_little(slow_provider):
    settings = get_settings()
    send_bound = 2 * dt.timedelta(seconds=settings.email_timeout_seconds)  # connect, then the answer

    assert send_bound < delivery.claim_timeout(settings) <= send_bound + dt.timedelta(minutes=1)
    reset_settings()
    assert delivery.claim_timeout(get_settings()) <= dt.timedelta(minutes=2)  # with the default timeout


# A real SMTP server


class Mailbox:
    """aiosmtpd handler: keeps what it accepts and refuses refused@example.com for good."""

    def __init__(self):
        self.messages: list[tuple[list[str], bytes, bool, bool]] = []  # (to, raw, over TLS, authenticated)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == "refused@example.com":
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        over_tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content, over_tls,
                              session.authenticated))
        return "250 2.0.0 Accepted"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A certificate authority made for the test, its file, and a server context for 127.0.0.1."""
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return ca_file, context


@pytest.fixture
def smtp_server(certificates, monkeypatch):
    """Start an SMTP server: smtp_server("starttls" or "tls", port=None); settings point at it."""
    ca_file, context = certificates
    controllers = []

    def start(security: str, port: int | None = None) -> Mailbox:
        mailbox = Mailbox()
        port = port or free_port()
        # aiosmtpd offers AUTH only after its own STARTTLS; on an implicit-TLS port the whole session
        # is encrypted already.
        options = {"tls_context": context, "require_starttls": True} if security == "starttls" else {
            "ssl_context": context, "auth_require_tls": False}
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=_authenticate,
                                auth_required=True, **options)
        controller.start()
        controllers.append(controller)
        configure(security, port)
        return mailbox

    def configure(security: str, port: int) -> None:
        for name, value in {"EMAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                            "SMTP_SECURITY": security, "SMTP_USERNAME": USER, "SMTP_PASSWORD": PASSWORD,
                            "SMTP_CA_FILE": str(ca_file), "EMAIL_TIMEOUT_SECONDS": "5"}.items():
            monkeypatch.setenv(name, value)
        reset_settings()

    start.configure = configure
    yield start
    for controller in controllers:
        controller.stop()


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_smtp_delivers_over_tls_with_authentication(smtp_server, security, uow, professional):
    mailbox = smtp_server(security)
    (nid,) = write_notifications(uow, professional, "lucia@example.com")

    assert deliver(nid, now=T0).status == "sent"

    ((to, raw, over_tls, authenticated),) = mailbox.messages
    assert to == ["lucia@example.com"] and over_tls and authenticated
    message = parse(raw)
    assert message["To"] == "lucia@example.com" and message["Subject"]
    row = notification(uow.session, nid)
    assert (row.status.value, row.attempts) == ("sent", 1)
    assert row.provider_message_id == message["Message-ID"].strip("<>")


def test_a_recipient_the_server_refuses_fails_for_good(smtp_server, uow, professional):
    mailbox = smtp_server("starttls")
    refused, accepted = write_notifications(uow, professional, "refused@example.com", "lucia@example.com")

    outcome = deliver(refused, now=T0)

    assert (outcome.status, outcome.retry_at) == ("failed", None)
    row = notification(uow.session, refused)
    assert row.status.value == "failed" and "SMTP 550" in row.error_message
    assert deliver(accepted, now=T0).status == "sent"
    assert [to for to, *_ in mailbox.messages] == [["lucia@example.com"]]


def test_a_server_that_is_down_is_retried_and_then_delivers(smtp_server, uow, professional):
    port = free_port()
    smtp_server.configure("starttls", port)  # nothing listens there yet
    (nid,) = write_notifications(uow, professional, "lucia@example.com")

    outcome = deliver(nid, now=T0)

    assert outcome.status == "retry" and outcome.retry_at > T0
    row = notification(uow.session, nid)
    assert (row.status.value, row.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in row.error_message

    mailbox = smtp_server("starttls", port)
    assert deliver(nid, now=outcome.retry_at).status == "sent"
    assert len(mailbox.messages) == 1
    assert notification(uow.session, nid).attempts == 2
