"""Reminders function: the cron-connector's trigger that writes due reminders to the outbox."""

import datetime as dt

from flask import Blueprint

from shared.db import unit_of_work
from shared.http import create_app
from shared.notifications.reminders import sweep_reminders

bp = Blueprint("reminders", __name__)

# No credentials asked: the cron-connector invokes functions through the gateway (POST, empty body)
# without any. Acceptable because the function has no root route (stack.yml maps none; nginx serves
# only root routes), reads nothing from the request, answers only with counts, and is idempotent: it
# writes only reminders already due, each at most once (unique per appointment and start), so an extra
# call sends nothing that would not have gone out anyway.


@bp.post("/")
@bp.post("/reminders")
def sweep():
    """Write every due reminder to the outbox; they are queued for sending when the transaction commits."""
    with unit_of_work() as uow:
        result = sweep_reminders(uow, dt.datetime.now(dt.UTC))
        uow.commit()
    return {"due": result.due, "enqueued": result.enqueued}


app = create_app("reminders", bp)
