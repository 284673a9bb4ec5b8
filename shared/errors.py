"""Domain exceptions: what went wrong in business terms; shared.http maps them to HTTP."""


class AgendaError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, detail: str = "", **extra):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(AgendaError):
    """The object does not exist, or belongs to another professional."""


class LinkExpired(NotFound):
    """A link that existed but has expired or was revoked. The API answers 404 as for any dead link (it
    tells a guesser nothing); a page tells the person who followed it that it is gone (410)."""


class Conflict(AgendaError):
    """The change clashes with the current state (overlap, duplicate, invalid status change)."""


class ValidationFailed(AgendaError):
    """Input is well-formed but breaks a rule; `errors` maps field -> [messages]."""

    def __init__(self, detail: str = "Validation failed.", errors: dict | None = None):
        super().__init__(detail)
        self.errors = errors or {}


class BadRequest(AgendaError):
    """The request cannot be understood (malformed body, bad token format)."""


class Unauthenticated(AgendaError):
    """No valid credentials were presented."""


class Forbidden(AgendaError):
    """Credentials are valid but the role does not allow this."""


class Gone(AgendaError):
    """The thing existed but can no longer be used (expired or used token)."""


class RateLimited(AgendaError):
    """Too many attempts; retry after `retry_after` seconds."""

    def __init__(self, detail: str = "Too many requests.", retry_after: int = 60):
        super().__init__(detail)
        self.retry_after = int(retry_after)


class ServiceUnavailable(AgendaError):
    """A dependency (database, queue) is not reachable."""


class TimedOut(ServiceUnavailable):
    """The request ran out of its time (REQUEST_TIMEOUT_SECONDS) before an answer was ready."""
