"""The appointment status machine: the one table of allowed changes, and the check every path goes through."""

from __future__ import annotations

import datetime as dt

from shared.errors import Conflict
from shared.models import AppointmentStatus

S = AppointmentStatus

TRANSITIONS: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    S.pending: frozenset({S.confirmed, S.cancelled_by_professional, S.cancelled_by_client}),
    S.confirmed: frozenset({S.completed, S.cancelled_by_professional, S.cancelled_by_client}),
    # A hold becomes active only through its confirmation (holds.confirm) and expired only through the
    # sweep; the professional may cancel it.
    S.held: frozenset({S.cancelled_by_professional}),
    # Final states: nothing follows.
    S.expired: frozenset(),
    S.completed: frozenset(),
    S.cancelled_by_professional: frozenset(),
    S.cancelled_by_client: frozenset(),
}
CANCELLED = frozenset({S.cancelled_by_professional, S.cancelled_by_client})


def check_transition(current: AppointmentStatus | str, target: AppointmentStatus | str, *,
                     start: dt.datetime, now: dt.datetime) -> bool:
    """True when `current` may become `target`; False when they are equal (nothing to do).

    Conflict (naming the current status) for a change the table does not allow, and for completing
    an appointment whose start has not been reached.
    """
    current, target = S(current), S(target)
    if current == target:
        return False
    if target not in TRANSITIONS[current]:
        raise Conflict(f"The appointment is {current.value}; it cannot become {target.value}.",
                       slug="invalid-status-change", current_status=current.value)
    if target == S.completed and now < start:
        raise Conflict(f"The appointment is {current.value} and has not started yet; "
                       "it can be marked completed once its start has passed.",
                       slug="invalid-status-change", current_status=current.value)
    return True
