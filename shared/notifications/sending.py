"""The queue's side of the outbox: the task that sends one row, and queuing many of them at once."""

from __future__ import annotations

from shared.jobs.instance import enqueue_many, huey


@huey.task()
def send_notification(notification_id: int) -> str:
    """Deliver one outbox row; a duplicate message is harmless because delivery claims the row first."""
    from shared.notifications.service import deliver

    outcome = deliver(notification_id)
    if outcome.retry_at is not None:
        # The row already says when to retry; this only saves waiting for the sweeper.
        send_notification.schedule(args=(notification_id,), eta=outcome.retry_at)
    return outcome.status


def queue(ids: list[int]) -> None:
    """One send task per id, in one batch (one LPUSH on Redis)."""
    enqueue_many([send_notification.s(notification_id) for notification_id in ids])
