"""Change status and cancel: the status machine (states) says what may follow what; these commands apply
a change with what goes with it (cancelled_at, calendar sequence, e-mails, audit)."""

from __future__ import annotations

import datetime as dt

from shared.appointments import lookups, notices, rules
from shared.appointments.actors import Actor
from shared.appointments.effects import Effects
from shared.appointments.states import CANCELLED, check_transition
from shared.appointments.views import AppointmentView, ClientAppointmentView, answer
from shared.clock import utcnow
from shared.errors import Conflict
from shared.models import Appointment, AppointmentStatus, Client


def change_status(uow, actor: Actor, *, status: AppointmentStatus | str, reason: str | None = None,
                  appointment_id: int | None = None, token: str | None = None,
                  now: dt.datetime | None = None) -> AppointmentView | ClientAppointmentView:
    """Set a status the machine allows (the same status again changes nothing)."""
    now = utcnow(now)
    professional, appointment = lookups.changing(uow.session, actor, appointment_id=appointment_id,
                                                 token=token, now=now)
    effects = Effects(uow, actor, professional)
    if check_transition(appointment.status, status, start=appointment.start_datetime, now=now):
        rules.check_changes_open(actor.policy, appointment, professional, now)
        apply_status(effects, appointment, appointment.client, AppointmentStatus(status), now=now,
                     reason=reason)
    return effects.commit(answer=lambda: answer(
        actor.policy, appointment, professional, appointment.service, appointment.client, now=now))


def cancel(uow, actor: Actor, *, reason: str | None = None, appointment_id: int | None = None,
           token: str | None = None, scope: str = "this",
           now: dt.datetime | None = None) -> AppointmentView | ClientAppointmentView:
    """Cancel (the row stays, as cancelled by whoever acts). A client's link may repeat it harmlessly, and
    is refused inside the cancellation window; the professional is told the appointment is already
    cancelled. Neither may cancel a completed appointment.

    `scope` "following" or "all" cancels the upcoming appointments of the weekly series too, in one
    transaction and with one e-mail; a client's link may do so only where the professional allows it
    (allow_client_series_cancel), and only for appointments outside the cancellation window."""
    now = utcnow(now)
    professional, appointment = lookups.changing(uow.session, actor, appointment_id=appointment_id,
                                                 token=token, now=now)
    target = AppointmentStatus.cancelled_by_client if actor.policy.by_client \
        else AppointmentStatus.cancelled_by_professional
    effects = Effects(uow, actor, professional)
    if scope != "this" and appointment.series_id is not None:
        _cancel_series(effects, appointment, target, scope, reason=reason, now=now)
        return effects.commit(answer=lambda: answer(
            actor.policy, appointment, professional, appointment.service, appointment.client, now=now))
    repeated = actor.policy.by_client and appointment.status in CANCELLED  # shown as it is
    if not repeated:
        if appointment.status == target:
            raise Conflict(f"The appointment is already {target.value}.", slug="invalid-status-change",
                           current_status=target.value)
        check_transition(appointment.status, target, start=appointment.start_datetime, now=now)
        rules.check_changes_open(actor.policy, appointment, professional, now)
        apply_status(effects, appointment, appointment.client, target, now=now, reason=reason)
    return effects.commit(answer=lambda: answer(
        actor.policy, appointment, professional, appointment.service, appointment.client, now=now))


def _cancel_series(effects: Effects, appointment: Appointment, target: AppointmentStatus, scope: str, *,
                   reason: str | None, now: dt.datetime) -> None:
    """Cancel every upcoming active appointment `scope` reaches; ONE e-mail (the client's calendar drops
    them; the series' UID is cancelled when none is left)."""
    policy, professional = effects.actor.policy, effects.professional
    if policy.by_client:
        if not professional.settings.allow_client_series_cancel:
            raise Conflict(f"{professional.business_name} takes cancellations of one appointment at a time "
                           "through this link; please contact them to cancel the series.",
                           slug="series-cancel-not-allowed")
        rules.check_changes_open(policy, appointment, professional, now)
    reached = lookups.reach(effects.uow.session, appointment, scope, now)
    for one in reached.appointments:
        check_transition(one.status, target, start=one.start_datetime, now=now)
        rules.check_changes_open(policy, one, professional, now)
        apply_status(effects, one, one.client, target, now=now, reason=reason, notify=False)
    reached.series.sequence += 1
    notices.series_changed(effects, reached.series, reached.appointments, reached.appointments[0].client,
                           what="cancelled", scope=scope, reason=reason)


def apply_status(effects: Effects, appointment: Appointment, client: Client, target: AppointmentStatus, *,
                 now: dt.datetime, reason: str | None = None, notify: bool = True) -> None:
    """The step every status change takes (the machine has allowed it): the new status, and for a
    cancellation its time and a new calendar sequence; who hears of it (unless the caller tells them of a
    whole batch at once: `notify` False); the audit row."""
    previous = appointment.status
    appointment.status = target
    metadata: dict = {"from": previous.value, "to": target.value}
    if target in CANCELLED:
        appointment.cancelled_at = now
        appointment.sequence += 1
        if notify:
            notices.cancelled(effects, appointment, client, reason=reason)
        action = "appointment.cancelled"
        if reason:
            metadata["reason"] = reason
    elif target == AppointmentStatus.confirmed:
        if notify:
            notices.confirmed(effects, appointment, client)
        action = "appointment.confirmed"
    else:
        action = f"appointment.{target.value}"
    effects.audit(action, entity=appointment, metadata=metadata)
