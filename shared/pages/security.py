"""What keeps the pages safe: a CSRF token bound to a SameSite cookie, and the headers of every page.

The token in a form is HMAC(LINK_SECRET, "csrf:" + cookie): a page from another site can neither read
the cookie nor guess the token, and the cookie itself is SameSite, so a cross-site form never carries it.
A page shown inside the professional's own site (an iframe, allowed by frame-ancestors) gets its cookie
partitioned to that site, since a SameSite=Lax cookie is never sent to a third-party frame.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Response, g, request

from shared.config import get_settings
from shared.errors import Forbidden

CSRF_COOKIE = "agenda_csrf"
CSRF_FIELD = "csrf_token"
CSRF_MAX_AGE = 12 * 3600
# Files only (no inline script or style), nothing from another host, forms post back here only.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors {ancestors}")


class CsrfFailed(Forbidden):
    """A form came without the token of this browser's cookie (stale page, or another site's form)."""


def _sign(value: str) -> str:
    key = get_settings().link_secret.encode()
    return hmac.new(key, b"csrf:" + value.encode(), hashlib.sha256).hexdigest()


def _cookie_value() -> str:
    value = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum():
        return value
    if "csrf_new" not in g:
        g.csrf_new = secrets.token_urlsafe(24)
    return g.csrf_new


def csrf_token() -> str:
    """The token a form of this page carries (sets the cookie with the response when it is new)."""
    return _sign(_cookie_value())


def check_csrf() -> None:
    """Refuse a form POST whose token does not match this browser's cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.form.get(CSRF_FIELD, "")
    if not cookie or not sent or not hmac.compare_digest(_sign(cookie), sent):
        raise CsrfFailed("This form has expired or did not come from this site.")


def protect(response: Response, *, frame_ancestors: list[str] | None = None) -> Response:
    """Headers of a page: strict CSP, framing only where allowed, no referrer, the CSRF cookie if new."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    response.headers["Content-Security-Policy"] = CSP.format(ancestors=ancestors)
    if frame_ancestors:
        response.headers.pop("X-Frame-Options", None)  # frame-ancestors decides; XFO cannot list origins
    else:
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept-Language")
    if "csrf_new" in g:
        _set_cookie(response, g.csrf_new)
    return response


def _set_cookie(response: Response, value: str) -> None:
    secure = request.is_secure or get_settings().public_base_url.startswith("https://")
    framed = request.headers.get("Sec-Fetch-Dest") == "iframe"
    if framed:
        # Inside the professional's site: only a partitioned SameSite=None cookie reaches this frame.
        response.set_cookie(CSRF_COOKIE, value, max_age=CSRF_MAX_AGE, path="/", httponly=True, secure=True,
                            samesite="None", partitioned=True)
    else:
        response.set_cookie(CSRF_COOKIE, value, max_age=CSRF_MAX_AGE, path="/", httponly=True,
                            secure=secure, samesite="Lax")
