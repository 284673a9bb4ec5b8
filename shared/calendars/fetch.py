"""Fetching a professional's calendar URL without letting it reach inside our network (SSRF).

Every connection, the first and each redirect's, goes through one guarded socket factory: the host is
resolved once, every address it resolves to must be public (not private, loopback, link-local,
shared, multicast or reserved) unless the host or the address is in CALENDAR_SOURCE_ALLOWED_HOSTS,
and the socket connects to exactly the address that was checked (no second lookup to rebind).
Only http and https, no proxies from the environment, at most MAX_REDIRECTS redirects, a body of at
most CALENDAR_SOURCE_MAX_BYTES (decompressed) read within CALENDAR_SOURCE_TIMEOUT_SECONDS.

The ICS fetch and the CalDAV client both use `guarded_session()`, a requests Session. Errors are
`FetchError`s whose message names the problem and never the URL's path, query or credentials (a
published calendar's URL is itself a secret).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from shared.config import get_settings

MAX_REDIRECTS = 5
SCHEMES = ("http", "https")
USER_AGENT = "Agenda calendar sync"
_CHUNK = 64 * 1024

# These libraries log request lines (paths, which carry a published calendar's secret) at DEBUG.
for _name in ("urllib3.connectionpool", "caldav"):
    logging.getLogger(_name).setLevel(logging.WARNING)


class FetchError(Exception):
    """The calendar could not be fetched; the message is safe to show and store."""


class AddressRefused(FetchError):
    """The URL's host is, or resolves to, an address a calendar source may not reach."""


def check_url(url: str) -> str:
    """The URL when its form is acceptable (http/https, a host, no credentials); FetchError otherwise."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise FetchError("The URL is not valid.") from None
    if parts.scheme not in SCHEMES:
        raise FetchError("Only http and https URLs can be fetched.")
    if not parts.hostname:
        raise FetchError("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise FetchError("Credentials do not belong in the URL; give them as username and password.")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return url
    if not _allowed(parts.hostname, address):
        raise AddressRefused(f"{parts.hostname} is not a public address.")
    return url


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return not address.is_global or address.is_multicast


def _allowed(host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    allowed = get_settings().calendar_source_allowed_hosts
    return host.lower().rstrip(".") in allowed or str(address) in allowed or not _refused(address)


def vetted_addresses(host: str, port: int) -> list[tuple]:
    """getaddrinfo() for host:port, refused whole if any address is not allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise FetchError(f"The host {host} could not be found.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not _allowed(host, address):
            raise AddressRefused(f"{host} resolves to an address that is not public ({address}).")
    return infos


class _Guarded:
    """Opens the socket itself, to an address vetted_addresses() accepted."""

    def _new_conn(self) -> socket.socket:
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in vetted_addresses(self._dns_host, self.port):
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(_connect_timeout())  # urllib3 sets the read timeout per request
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise FetchError(f"Could not connect to {self.host}.") from error


class _HTTPConnection(_Guarded, HTTPConnection):
    pass


class _HTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def _connect_timeout() -> float:
    return min(10.0, float(get_settings().calendar_source_timeout_seconds))


class _GuardedAdapter(HTTPAdapter):
    """Guarded connections; each answer read whole here, within the size and time limits."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def proxy_manager_for(self, *args, **kwargs):  # pragma: no cover - proxies are switched off
        raise FetchError("Proxies are not used for calendar sources.")

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        settings = get_settings()
        deadline = time.monotonic() + settings.calendar_source_timeout_seconds
        limit = settings.calendar_source_max_bytes
        try:
            response = super().send(request, stream=True, timeout=(_connect_timeout(),
                                                                   settings.calendar_source_timeout_seconds),
                                    verify=verify, cert=cert, proxies=None)
        except FetchError:
            raise
        except requests.Timeout:
            raise FetchError("The calendar server did not answer in time.") from None
        except requests.exceptions.SSLError:
            raise FetchError("The calendar server's TLS certificate could not be verified.") from None
        except requests.RequestException:
            raise FetchError("The calendar server could not be reached.") from None
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise FetchError(f"The calendar is larger than {limit} bytes.")
        chunks, size = [], 0
        try:
            for chunk in response.raw.stream(_CHUNK, decode_content=True):
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"The calendar is larger than {limit} bytes.")
                if time.monotonic() > deadline:
                    raise FetchError("The calendar server did not answer in time.")
                chunks.append(chunk)
        except FetchError:
            response.close()
            raise
        except Exception:
            response.close()
            raise FetchError("The calendar server's answer was cut off.") from None
        response._content = b"".join(chunks)
        response._content_consumed = True
        response.raw.release_conn()
        return response


def get(session: requests.Session, url: str, **kwargs) -> requests.Response:
    """session.get() with every failure, redirects included, as a FetchError."""
    try:
        return session.get(url, **kwargs)
    except FetchError:
        raise
    except requests.TooManyRedirects:
        raise FetchError(f"More than {MAX_REDIRECTS} redirects.") from None
    except (requests.exceptions.InvalidSchema, requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema):
        raise FetchError("A redirect led to a URL that is not http or https.") from None
    except requests.RequestException:
        raise FetchError("The calendar server could not be reached.") from None


def guarded_session() -> requests.Session:
    """A requests Session whose every connection (redirects included) passes the guard."""
    session = requests.Session()
    session.trust_env = False  # no proxies, no .netrc credentials from the environment
    session.max_redirects = MAX_REDIRECTS
    session.headers["User-Agent"] = USER_AGENT
    for scheme in ("http://", "https://"):
        session.mount(scheme, _GuardedAdapter(max_retries=0))
    return session
