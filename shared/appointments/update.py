"""The professional's edit of one appointment in one request: another client, notes, a new time and a new
status, each through the step its own command takes (reschedule.move, status.apply_status)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from shared.appointments import holds, lookups, notices, rules
from shared.appointments.actors import Actor
from shared.appointments.effects import Effects, link_expiry
from shared.appointments.recurrence import shifted
from shared.appointments.reschedule import move
from shared.appointments.states import check_transition
from shared.appointments.status import apply_status
from shared.appointments.views import AppointmentView, answer
from shared.clock import utcnow
from shared.errors import Conflict
from shared.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, Client


def update(uow, actor: Actor, *, appointment_id: int, appointment_in: dict[str, Any], scope: str = "this",
           now: dt.datetime | None = None) -> AppointmentView:
    """Re-assign, re-note, reschedule or change the status of one of the professional's appointments, or
    (`scope` "following" or "all") of the upcoming ones of its weekly series.

    Giving the current value again changes nothing (no side effects). A new time keeps the no-overlap
    rule, re-derives the end and bumps the calendar sequence; it is only possible while the appointment is
    pending or confirmed and cannot be combined with cancelling or completing.
    """
    now = utcnow(now)
    professional, appointment = lookups.changing(uow.session, actor, appointment_id=appointment_id, now=now)
    reached = lookups.reach(uow.session, appointment, scope, now)
    effects = Effects(uow, actor, professional)
    if reached.series is None:
        client = change(effects, appointment, appointment_in, now=now)
    else:
        client = _change_series(effects, reached, appointment, appointment_in, scope=scope, now=now)
    return effects.commit(actor.policy.conflict(professional), lambda: answer(
        actor.policy, appointment, professional, appointment.service, client, now=now))


def change(effects: Effects, appointment: Appointment, appointment_in: dict[str, Any], *, now: dt.datetime,
           batch: bool = False) -> Client:
    """The professional's edit of one (locked) appointment, as update() and a change to a series make it;
    returns the appointment's client. `batch`: part of a change to a series, whose caller checks the new
    times at once and tells the client of the whole batch (move)."""
    session, policy = effects.uow.session, effects.actor.policy
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

    changed: list[str] = []
    if "client_id" in appointment_in and appointment_in["client_id"] != appointment.client_id:
        client = lookups.client(session, professional_id=appointment.professional_id,
                                client_id=appointment_in["client_id"])
        appointment.client_id = client.id
        changed.append("client_id")
    if "notes" in appointment_in and appointment_in["notes"] != appointment.notes:
        appointment.notes = appointment_in["notes"]
        changed.append("notes")
    if moves:
        move(effects, appointment, client, new_start, now=now, batch=batch)
    if status_changes:
        apply_status(effects, appointment, client, AppointmentStatus(target), now=now,
                     reason=appointment_in.get("reason"), notify=not batch)
    if "client_id" in changed:
        # The previous client's link must not manage someone else's appointment; the new client gets one.
        effects.revoke_links(appointment, now)
        effects.issue_link(appointment=appointment, expires_at=link_expiry(appointment.end_datetime))
    if changed:
        effects.audit("appointment.updated", entity=appointment, metadata={"fields": changed})
    return client


def _change_series(effects: Effects, reached: lookups.Reach, appointment: Appointment,
                   appointment_in: dict[str, Any], *, scope: str, now: dt.datetime) -> Client:
    """The same edit to every reached appointment of a series, all or nothing, and ONE e-mail for them.

    A new start moves each one as the addressed one moves: by the same number of days from its place in
    the pattern, to the same local time. Every new time is checked at once (any clash: 409 naming all of
    them); they are written from the far end of the move, so none lands on a sibling not yet moved."""
    series, targets = reached.series, reached.appointments
    professional = effects.professional
    each = [dict(appointment_in) for _ in targets]
    new_start = appointment_in.get("start_datetime")
    if new_start is not None:
        zone = ZoneInfo(professional.timezone)
        wanted = new_start.astimezone(zone)
        days = (wanted.date() - appointment.recurrence_start.astimezone(zone).date()).days
        for target, target_in in zip(targets, each, strict=True):
            target_in["start_datetime"] = shifted(target.recurrence_start, zone, days=days,
                                                  wall_time=wanted.time().replace(tzinfo=None))
        duration = dt.timedelta(minutes=appointment.service.duration_minutes)
        times = [(t["start_datetime"], t["start_datetime"] + duration) for t in each]
        taken = rules.taken_times(effects.uow.session, professional, times, now=now,
                                  moving=[t.id for t in targets])
        if taken:
            raise rules.series_conflict(professional, [times[i][0] for i in taken])
        holds.release_expired(effects, start=min(start for start, _ in times),
                              end=max(end for _, end in times), now=now)
        if each and each[0]["start_datetime"] > targets[0].start_datetime:
            targets, each = targets[::-1], each[::-1]
    previous = {target.id: target.start_datetime for target in targets}
    clients = [change(effects, target, target_in, now=now, batch=True)
               for target, target_in in zip(targets, each, strict=True)]
    first = min(targets, key=lambda a: a.recurrence_start)
    client = clients[targets.index(first)]
    if "client_id" in appointment_in:
        series.client_id = client.id  # the series' upcoming appointments are the new client's
    what = _what_changed(appointment_in, moved=any(t.start_datetime != previous[t.id] for t in targets))
    if what:
        series.sequence += 1
        notices.series_changed(effects, series, sorted(targets, key=lambda a: a.recurrence_start), client,
                               what=what, scope=scope, reason=appointment_in.get("reason"),
                               previous_start=previous[first.id].astimezone(dt.UTC).isoformat())
    return clients[targets.index(appointment)] if appointment in targets else appointment.client


def _what_changed(appointment_in: dict[str, Any], *, moved: bool) -> str | None:
    """What the client is told of a change to a series: a move, a confirmation, a cancellation, or
    nothing (notes, another client, completed...)."""
    if moved:
        return "rescheduled"
    status = appointment_in.get("status")
    if status == AppointmentStatus.confirmed:
        return "confirmed"
    if status == AppointmentStatus.cancelled_by_professional:
        return "cancelled"
    return None
