"""Hand outbox rows to the queue once their transaction has committed; a rollback forgets them."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable

from sqlalchemy import event

log = logging.getLogger(__name__)

# Where shared.notifications.outbox.enqueue collects the ids written in the current transaction.
PENDING_KEY = "notifications_to_send"
# Not event.contains(): SQLAlchemy's registry is keyed by id(), and a new sessionmaker may reuse the id
# of a collected one (shared.db.reset_engine), which would then look installed when it is not.
_installed: weakref.WeakSet = weakref.WeakSet()


def install(target) -> None:
    """Listen on a sessionmaker (or Session class); safe to call more than once."""
    if target in _installed:
        return
    event.listen(target, "after_commit", _after_commit)
    event.listen(target, "after_rollback", _after_rollback)
    _installed.add(target)


def _after_commit(session) -> None:
    ids = session.info.pop(PENDING_KEY, None)
    if ids:
        hand_over(ids)


def _after_rollback(session) -> None:
    # The rows were never written; sending their ids would only make the worker look for nothing.
    session.info.pop(PENDING_KEY, None)


def hand_over(ids: Iterable[int]) -> int:
    """Enqueue one send task per id, all in one batch (one Redis round trip); returns how many were queued.

    Never raises: the rows are committed, so when the queue is unreachable the sweeper
    (shared.jobs.tasks.requeue_unsent) finds them within a minute or two and the caller's
    request still succeeds.
    """
    ids = list(ids)
    if not ids:
        return 0
    try:
        # Imported here: building the Huey object reads settings and opens no connection until used,
        # but functions that never write notifications need not load it at all.
        from shared.jobs.instance import enqueue_many
        from shared.jobs.tasks import send_notification

        enqueue_many([send_notification.s(notification_id) for notification_id in ids])
    except Exception:
        # On Redis the batch is one atomic LPUSH, so none was queued; elsewhere a few may have been, and
        # the sweeper queuing them again is harmless (delivery claims each row before sending).
        log.warning("could not queue notifications %s; the sweeper will send them", ids, exc_info=True)
        return 0
    return len(ids)
