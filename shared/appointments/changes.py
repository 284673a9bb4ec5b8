"""Changes to an existing appointment, shared by the professional's and the client's paths.

Each applies the change to the row and adds its notifications and audit row to the same session;
the caller has already checked the status machine and owns the commit.
"""

from __future__ import annotations

import datetime as dt

from shared.appointments import booking, effects
from shared.appointments.effects import Actor
from shared.errors import Conflict
from shared.models import Appointment, AppointmentStatus, Client, Professional, Service


def reschedule(session, *, professional: Professional, appointment: Appointment, client: Client,
               service: Service, start: dt.datetime, actor: Actor, by_client: bool,
               conflict: Conflict) -> None:
    """Move the appointment to `start` (end re-derived from the service), bump its calendar sequence."""
    previous_start = appointment.start_datetime.astimezone(dt.UTC)
    appointment.start_datetime = start.astimezone(dt.UTC)
    appointment.end_datetime = appointment.start_datetime + dt.timedelta(minutes=service.duration_minutes)
    appointment.sequence += 1
    booking.flush_booking(session, conflict)
    booking.extend_links(session, appointment)
    effects.rescheduled(session, professional, appointment, client, previous_start=previous_start.isoformat(),
                        by_client=by_client)
    effects.record(session, actor, action="appointment.rescheduled", professional_id=professional.id,
                   entity_type="appointment", entity_id=appointment.id,
                   metadata={"previous_start": previous_start.isoformat(),
                             "start": appointment.start_datetime.isoformat(), "by_client": by_client})


def change_status(session, *, professional: Professional, appointment: Appointment, client: Client,
                  target: AppointmentStatus, now: dt.datetime, actor: Actor, reason: str | None = None,
                  by_client_link: bool = False) -> None:
    """Set a status the machine allowed, with what goes with it (cancelled_at, sequence, e-mails)."""
    previous = appointment.status
    appointment.status = target
    metadata: dict = {"from": previous.value, "to": target.value}
    if target in (AppointmentStatus.cancelled_by_professional, AppointmentStatus.cancelled_by_client):
        appointment.cancelled_at = now
        appointment.sequence += 1
        effects.cancelled(session, professional, appointment, client, reason=reason,
                          by_client_link=by_client_link)
        action = "appointment.cancelled"
        if reason:
            metadata["reason"] = reason
    elif target == AppointmentStatus.confirmed:
        effects.confirmed(session, professional, appointment, client)
        action = "appointment.confirmed"
    else:
        action = f"appointment.{target.value}"
    session.flush()
    effects.record(session, actor, action=action, professional_id=professional.id, entity_type="appointment",
                   entity_id=appointment.id, metadata=metadata)
