"""Reschedule: an appointment moves to a new start (same service, same length), by the professional or by
the client through their link."""

from __future__ import annotations

import datetime as dt

from shared.appointments import holds, lookups, notices, rules
from shared.appointments.actors import Actor
from shared.appointments.effects import Effects
from shared.appointments.views import AppointmentView, ClientAppointmentView, answer
from shared.clock import utcnow
from shared.models import Appointment, Client


def reschedule(uow, actor: Actor, *, start_datetime: dt.datetime, appointment_id: int | None = None,
               token: str | None = None, now: dt.datetime | None = None
               ) -> AppointmentView | ClientAppointmentView:
    """Move a pending or confirmed appointment: the professional's (appointment_id) to any free time, a
    client's (token) to a slot on offer and only outside the cancellation window. The same start again
    changes nothing."""
    now = utcnow(now)
    professional, appointment = lookups.changing(uow.session, actor, appointment_id=appointment_id,
                                                 token=token, now=now)
    rules.check_movable(actor.policy, appointment)
    rules.check_changes_open(actor.policy, appointment, professional, now)
    effects = Effects(uow, actor, professional)
    if start_datetime != appointment.start_datetime:
        move(effects, appointment, appointment.client, start_datetime, now=now)
    return effects.commit(actor.policy.conflict(professional), lambda: answer(
        actor.policy, appointment, professional, appointment.service, appointment.client, now=now))


def move(effects: Effects, appointment: Appointment, client: Client, start: dt.datetime, *,
         now: dt.datetime, batch: bool = False) -> None:
    """The step every reschedule takes (the caller has checked the status and the window): the time is
    one the actor may take, the end follows the service, the calendar sequence goes up, the links last
    until the new end, both sides hear as the policy says, and the audit trail records it.

    `batch`: one of several appointments of a series moved together; the caller has checked all their new
    times in one statement, released the holds in their way, and tells the client of the whole batch."""
    policy, professional = effects.actor.policy, effects.professional
    end = start + dt.timedelta(minutes=appointment.service.duration_minutes)
    if not batch:
        rules.check_time(effects.uow.session, policy, professional, appointment.service, start=start,
                         end=end, now=now, moving=appointment)
        holds.release_expired(effects, start=start, end=end, now=now)  # before the row moves (autoflush)
    previous_start = appointment.start_datetime.astimezone(dt.UTC)
    appointment.start_datetime, appointment.end_datetime = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    appointment.sequence += 1
    effects.flush(policy.conflict(professional))
    effects.extend_links(appointment)
    if not batch:
        notices.rescheduled(effects, appointment, client, previous_start=previous_start.isoformat())
    effects.audit("appointment.rescheduled", entity=appointment, metadata={
        "previous_start": previous_start.isoformat(), "start": appointment.start_datetime.isoformat(),
        "by_client": policy.by_client})
