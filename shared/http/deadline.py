"""A deadline per request: one still running after REQUEST_TIMEOUT_SECONDS is answered 503 problem+json.

gunicorn's sync worker serves one request at a time on its main thread, so a SIGALRM timer interrupts
the request wherever it is: a statement in progress is cancelled by PostgreSQL, anything else (Python
code, a socket) raises TimedOut; either way the answer is 503 with Retry-After, and the unit of work
rolls back what was not committed.
gunicorn's own timeout (shared.gunicorn_conf) is a little longer and only fires when the interpreter
itself is stuck. The whole ladder of timeouts is in README ("Timeouts"). Off the main thread (a threaded
server) there is no timer, since only the main thread receives signals.
"""

from __future__ import annotations

import signal
import threading

from flask import g

from shared.errors import TimedOut


def _expired(signum, frame) -> None:
    g.deadline_expired = f"The request took longer than {g.get('deadline_seconds')} s; try again shortly."
    from shared.db import cancel_running_statements

    # A statement in progress is cancelled by the server, which leaves the connection usable; the
    # request then fails as at the statement timeout (503). Anything else is interrupted right here.
    if not cancel_running_statements():
        raise TimedOut(g.deadline_expired)


def start(seconds: int | None) -> None:
    """Arm the timer for this request (main thread only, and only if nobody else uses SIGALRM)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, _expired):
        return
    signal.signal(signal.SIGALRM, _expired)
    g.deadline_seconds = seconds
    signal.setitimer(signal.ITIMER_REAL, seconds)


def stop(_error: BaseException | None = None) -> None:
    """Disarm the timer once the response is ready (a teardown_request hook)."""
    if g.pop("deadline_seconds", None) is not None:
        signal.setitimer(signal.ITIMER_REAL, 0)
