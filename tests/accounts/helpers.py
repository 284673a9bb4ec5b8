"""Helpers for the accounts tests: request bodies, client addresses, problem comparison."""

from __future__ import annotations

STRONG_PASSWORD = "a quiet violet orchard 42"
ATTACKER_IP = "203.0.113.66"
OWNER_IP = "198.51.100.7"


def registration(**overrides) -> dict:
    """A valid registration body."""
    body = {"email": "ana@example.com", "password": STRONG_PASSWORD, "name": "Ana López",
            "business_name": "Psicología Ana López", "timezone": "Europe/Madrid"}
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def from_ip(ip: str) -> dict:
    """Keyword arguments that make a test request come from `ip`."""
    return {"environ_base": {"REMOTE_ADDR": ip}}


def problem_without_id(response) -> dict:
    """A problem body without its per-request id, to compare two answers."""
    body = dict(response.get_json())
    body.pop("request_id", None)
    return body


def run_queued_jobs(name: str) -> int:
    """Run the queued background jobs called `name` as the consumer would; others in the queue are dropped
    (queued sends stay pending in the outbox). Returns how many ran."""
    from shared.jobs import tasks  # noqa: F401  (registers the tasks)
    from shared.jobs.instance import huey

    ran = 0
    while huey.pending_count():  # dequeue() on an empty queue would block for a second
        task = huey.dequeue()
        if task is not None and task.name.rsplit(".", 1)[-1] == name:
            huey.execute(task)
            ran += 1
    return ran
