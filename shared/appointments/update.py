"""The professional's edit of one appointment in one request: another client, notes, a new time and a new
status, each through the step its own command takes (reschedule.move, status.apply_status)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.appointments import lookups, rules
from shared.appointments.actors import Actor
from shared.appointments.effects import Effects, link_expiry
from shared.appointments.reschedule import move
from shared.appointments.states import check_transition
from shared.appointments.status import apply_status
from shared.appointments.views import AppointmentView, answer
from shared.clock import utcnow
from shared.errors import Conflict
from shared.models import ACTIVE_STATUSES, AppointmentStatus


def update(uow, actor: Actor, *, appointment_id: int, appointment_in: dict[str, Any],
           now: dt.datetime | None = None) -> AppointmentView:
    """Re-assign, re-note, reschedule or change the status of one of the professional's appointments.

    Giving the current value again changes nothing (no side effects). A new time keeps the no-overlap
    rule, re-derives the end and bumps the calendar sequence; it is only possible while the appointment is
    pending or confirmed and cannot be combined with cancelling or completing.
    """
    now = utcnow(now)
    session = uow.session
    policy = actor.policy
    professional, appointment = lookups.changing(session, actor, appointment_id=appointment_id, now=now)
    client = appointment.client

    target = appointment_in.get("status")
    status_changes = target is not None and check_transition(
        appointment.status, target, start=appointment.start_datetime, now=now)
    new_start = appointment_in.get("start_datetime")
    moves = new_start is not None and new_start != appointment.start_datetime
    if moves:
        rules.check_movable(policy, appointment)
    if moves and status_changes and AppointmentStatus(target) not in ACTIVE_STATUSES:
        raise Conflict("Reschedule and cancel or complete in separate requests.",
                       slug="invalid-status-change", current_status=appointment.status.value)

    effects = Effects(uow, actor, professional)
    changed: list[str] = []
    if "client_id" in appointment_in and appointment_in["client_id"] != appointment.client_id:
        client = lookups.client(session, professional_id=professional.id,
                                client_id=appointment_in["client_id"])
        appointment.client_id = client.id
        changed.append("client_id")
    if "notes" in appointment_in and appointment_in["notes"] != appointment.notes:
        appointment.notes = appointment_in["notes"]
        changed.append("notes")
    if moves:
        move(effects, appointment, client, new_start, now=now)
    if status_changes:
        apply_status(effects, appointment, client, AppointmentStatus(target), now=now,
                     reason=appointment_in.get("reason"))
    if "client_id" in changed:
        # The previous client's link must not manage someone else's appointment; the new client gets one.
        effects.revoke_links(appointment, now)
        effects.issue_link(appointment=appointment, expires_at=link_expiry(appointment.end_datetime))
    if changed:
        effects.audit("appointment.updated", entity=appointment, metadata={"fields": changed})
    return effects.commit(policy.conflict(professional), lambda: answer(
        policy, appointment, professional, appointment.service, client, now=now))
