"""Who is told of each change (the e-mail kinds of the contract), recorded through the effects writer.

The client hears of everything that happens to their appointment; the professional hears of what a client
did (a booking, a move, a cancellation, a request), never of what they did themselves.
"""

from __future__ import annotations

from shared.appointments.effects import Effects
from shared.models import Appointment, AppointmentRequest, AppointmentSeries, AppointmentStatus, Client


def booked(effects: Effects, appointment: Appointment, client: Client) -> None:
    """A new appointment: confirmed, or received and awaiting confirmation."""
    kind = "booking_confirmation" if appointment.status == AppointmentStatus.confirmed else "booking_received"
    effects.notify(kind, to_client=client.email, appointment=appointment)
    if effects.actor.policy.by_client:
        effects.notify("new_booking", appointment=appointment)


def held(effects: Effects, appointment: Appointment, client: Client) -> None:
    """A booking held for the client's confirmation: only the client hears, with the link that confirms it
    (the professional hears of it once it is confirmed, as of any booking)."""
    effects.notify("booking_hold", to_client=client.email, appointment=appointment)


def series_booked(effects: Effects, series: AppointmentSeries, first: Appointment, client: Client) -> None:
    """A new weekly series: ONE e-mail for all its appointments (its calendar file repeats the first one);
    reminders still come one per appointment."""
    kind = "booking_confirmation" if first.status == AppointmentStatus.confirmed else "booking_received"
    effects.notify(kind, to_client=client.email, appointment=first, payload={"series_id": series.id})


def series_changed(effects: Effects, series: AppointmentSeries, changed: list[Appointment], client: Client,
                   *, what: str, scope: str, previous_start: str | None = None,
                   reason: str | None = None) -> None:
    """ONE e-mail for a change to several appointments of a series (`changed`, the earliest first), whose
    calendar file carries the series as it now stands: `what` is "rescheduled", "confirmed" or
    "cancelled"; the e-mail names the `scope` ("following" or "all") and the changed appointments."""
    first = changed[0]
    payload = {"series_id": series.id, "scope": scope, "appointment_ids": [a.id for a in changed]}
    if what == "rescheduled":
        effects.notify("rescheduled", to_client=client.email, appointment=first,
                       payload={**payload, "previous_start": previous_start})
    elif what == "confirmed":
        effects.notify("booking_confirmation", to_client=client.email, appointment=first, payload=payload)
    elif first.status == AppointmentStatus.cancelled_by_professional:
        effects.notify("cancelled_by_professional", to_client=client.email, appointment=first,
                       payload={**payload, "reason": reason})
    else:
        effects.notify("cancellation_confirmation", to_client=client.email, appointment=first,
                       payload=payload)
        effects.notify("cancelled_by_client", appointment=first, payload=payload)


def confirmed(effects: Effects, appointment: Appointment, client: Client) -> None:
    """A pending appointment the professional confirmed: now the client gets the confirmation."""
    effects.notify("booking_confirmation", to_client=client.email, appointment=appointment)


def rescheduled(effects: Effects, appointment: Appointment, client: Client, *, previous_start: str) -> None:
    payload = {"previous_start": previous_start}
    effects.notify("rescheduled", to_client=client.email, appointment=appointment, payload=payload)
    if effects.actor.policy.by_client:
        effects.notify("rescheduled_professional", appointment=appointment, payload=payload)


def cancelled(effects: Effects, appointment: Appointment, client: Client, *, reason: str | None) -> None:
    """Told to whoever did not cancel (and confirmed to the client when it was them)."""
    if appointment.status == AppointmentStatus.cancelled_by_professional:
        effects.notify("cancelled_by_professional", to_client=client.email, appointment=appointment,
                       payload={"reason": reason})
        return
    effects.notify("cancellation_confirmation", to_client=client.email, appointment=appointment)
    if effects.actor.policy.by_client:
        effects.notify("cancelled_by_client", appointment=appointment)


def request_received(effects: Effects, request: AppointmentRequest) -> None:
    """A client asked for a time: both sides hear of it."""
    effects.notify("request_received", to_client=request.client_email, request=request)
    effects.notify("request_received_professional", request=request)


def request_accepted(effects: Effects, request: AppointmentRequest, appointment: Appointment) -> None:
    effects.notify("request_accepted", to_client=request.client_email, request=request,
                   appointment=appointment)


def request_rejected(effects: Effects, request: AppointmentRequest, reason: str | None) -> None:
    effects.notify("request_rejected", to_client=request.client_email, request=request,
                   payload={"reason": reason})
