"""Absolute links placed in e-mails, always built from the configured public base URL."""

from urllib.parse import quote, urlencode

# Frontend routes the e-mails point to; the single place to change them.
MANAGE_PATH = "/manage/{token}"
CONFIRM_BOOKING_PATH = "/confirm/{token}"
RESET_PASSWORD_PATH = "/reset-password"
VERIFY_EMAIL_PATH = "/verify-email"
BOOKING_PATH = "/book/{slug}"
DASHBOARD_APPOINTMENT_PATH = "/dashboard/appointments/{appointment_id}"
DASHBOARD_REQUESTS_PATH = "/dashboard/requests"
REQUEST_DECISION_PATH = "/requests/{request_id}/{action}/{token}"


def absolute(public_base_url: str, path: str, **query: str) -> str:
    """Join the public base URL and a path, with an optional query string."""
    url = public_base_url.rstrip("/") + "/" + path.lstrip("/")
    return f"{url}?{urlencode(query)}" if query else url


def manage_url(public_base_url: str, token: str) -> str:
    """Where a client cancels or reschedules one appointment (token from the e-mail)."""
    return absolute(public_base_url, MANAGE_PATH.format(token=quote(token, safe="")))


def confirm_booking_url(public_base_url: str, token: str) -> str:
    """Where a client confirms a held booking (the token then manages it: the same as manage_url's)."""
    return absolute(public_base_url, CONFIRM_BOOKING_PATH.format(token=quote(token, safe="")))


def reset_url(public_base_url: str, token: str) -> str:
    """Where a user chooses a new password."""
    return absolute(public_base_url, RESET_PASSWORD_PATH, token=token)


def verify_email_url(public_base_url: str, token: str) -> str:
    """Where a professional confirms their email address (the page posts the token to /auth/verify-email)."""
    return absolute(public_base_url, VERIFY_EMAIL_PATH, token=token)


def booking_url(public_base_url: str, slug: str) -> str:
    """The professional's public booking page."""
    return absolute(public_base_url, BOOKING_PATH.format(slug=quote(slug, safe="")))


def dashboard_url(dashboard_base_url: str, appointment_id: int | None = None) -> str:
    """The professional's view of one appointment, or of pending requests when no id is given, in the
    professionals' own frontend (DASHBOARD_BASE_URL): the product itself serves no dashboard."""
    if appointment_id is None:
        return absolute(dashboard_base_url, DASHBOARD_REQUESTS_PATH)
    return absolute(dashboard_base_url, DASHBOARD_APPOINTMENT_PATH.format(appointment_id=int(appointment_id)))


def request_decision_url(public_base_url: str, request_id: int, action: str, token: str) -> str:
    """Where a professional without a frontend accepts or declines one request (from its e-mail)."""
    return absolute(public_base_url, REQUEST_DECISION_PATH.format(
        request_id=int(request_id), action=action, token=quote(token, safe="")))
