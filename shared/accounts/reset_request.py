"""Asking for a password reset: the request only queues the work (shared.jobs.tasks.start_password_reset,
which runs accounts.service.start_password_reset), so its answer takes the same time for any e-mail.

Apart from accounts.service because it enqueues a job that calls back into it: kept together, the two
would import each other."""

from __future__ import annotations

from shared import ratelimit
from shared.accounts.common import NO_ORIGIN, Origin, normalize_email
from shared.errors import ServiceUnavailable


def forgot_password(*, email: str, origin: Origin = NO_ORIGIN) -> None:
    """Queue the reset for a background job and return: the same work whether the account exists or not,
    so the answer's timing says nothing about it (start_password_reset does the rest)."""
    ratelimit.hit("forgot_password", origin.limit_key)
    from shared.jobs.tasks import start_password_reset as job

    try:
        job(normalize_email(email), origin.ip, origin.request_id)
    except Exception as exc:  # the queue is down: say so, for every email alike
        raise ServiceUnavailable("Password reset is unavailable right now; try again shortly.") from exc
