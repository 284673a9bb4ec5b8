"""What the consumer loads: `huey_consumer shared.jobs.main.huey` (the tasks register on import)."""

from shared import metrics
from shared.jobs import tasks
from shared.jobs.instance import huey

__all__ = ["huey", "tasks"]

# The consumer is no function, so nothing scrapes it through the gateway: it serves its own /metrics
# when METRICS_EXPORTER_PORT is set (the systemd unit does).
exporter = metrics.start_exporter_from_env()
