"""Holds: a booking from the public page waits for the client to confirm it from their email.

While the professional's require_email_confirmation is on (the default), a client's booking is written
`held`: it keeps its slot from everyone (the exclusion constraint counts it) until hold_expires_at,
booking_hold_minutes later. The client gets a link by email; opening it (confirm) gives the booking the
professional's default status and sends the usual emails, and only then does the link manage it. A hold
nobody confirmed becomes `expired`: the slots and the overlap checks ignore it from its expiry on
(models.takes_its_time), a command that takes a time marks the expired holds in its way first
(release_expired), and a minutely sweep marks the rest (expire). An expired hold is not a cancellation.

One client address (IPv6: its /64) and one professional have at most OPEN_HOLDS_PER_ADDRESS and
OPEN_HOLDS_PER_PROFESSIONAL holds open at a time (429 beyond), so an anonymous client cannot fill a
calendar with bookings nobody confirms.
"""

from __future__ import annotations

import datetime as dt
import functools
import math

from sqlalchemy import String, bindparam, func, select, update

from shared.appointments import lookups, notices
from shared.appointments.actors import SYSTEM, Actor
from shared.appointments.effects import Effects
from shared.appointments.views import ClientAppointmentView, answer
from shared.clock import utcnow
from shared.config import get_settings
from shared.errors import Gone, RateLimited
from shared.models import Appointment, AppointmentStatus, Professional, lapsed_hold

HELD, EXPIRED = AppointmentStatus.held, AppointmentStatus.expired


def deadline(professional: Professional, now: dt.datetime) -> dt.datetime:
    """Until when a hold made now waits for the client's confirmation."""
    return now + dt.timedelta(minutes=professional.settings.booking_hold_minutes)


def check_limits(session, professional: Professional, client_key: str, now: dt.datetime) -> None:
    """The client's address and the professional are under their limits of open holds (else 429, with the
    time until the first of the counted holds expires).

    Holds take turns, per address and then per professional (transaction-scoped advisory locks, always
    in that order, so two bookings never wait for each other's lock), so both counts are exact."""
    session.execute(_HOLD_LOCK, {"key": f"booking-hold:{client_key}"})
    session.execute(_HOLD_LOCK, {"key": f"booking-hold-professional:{professional.id}"})
    counts = session.execute(_open_holds(), {"key": client_key, "professional_id": professional.id,
                                             "now": now}).one()
    settings = get_settings()
    if counts.by_address >= settings.open_holds_per_address:
        raise RateLimited("Too many bookings from your address are waiting for their email confirmation; "
                          "confirm them, or try again when they expire.",
                          retry_after=_seconds_until(counts.first_by_address, now))
    if counts.by_professional >= settings.open_holds_per_professional:
        raise RateLimited("This booking page has too many bookings waiting for their email confirmation "
                          "right now; try again later.",
                          retry_after=_seconds_until(counts.first_by_professional, now))


_HOLD_LOCK = select(lookups.transaction_lock(bindparam("key", type_=String)))


@functools.cache
def _open_holds():
    # Both counts, and the first expiry of each, in one statement (the partial index on held rows).
    open_ = (Appointment.status == HELD) & (Appointment.hold_expires_at > bindparam("now"))
    by_address = open_ & (Appointment.hold_client_key == bindparam("key"))
    by_professional = open_ & (Appointment.professional_id == bindparam("professional_id"))
    return select(
        func.count().filter(by_address).label("by_address"),
        func.min(Appointment.hold_expires_at).filter(by_address).label("first_by_address"),
        func.count().filter(by_professional).label("by_professional"),
        func.min(Appointment.hold_expires_at).filter(by_professional).label("first_by_professional"),
    ).where(Appointment.status == HELD, Appointment.hold_expires_at > bindparam("now"))


def _seconds_until(moment: dt.datetime | None, now: dt.datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds())) if moment is not None else 60


def release_expired(effects: Effects, *, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> None:
    """Before a command takes [start, end): the professional's holds there that are past their expiry
    become expired (the exclusion constraint still counts a held row, whatever its expiry). Every booking
    and move takes this step, so it is one cached statement that touches no row in the usual case."""
    _mark_expired(effects, _release_statement(), {"of_professional": effects.professional.id, "from": start,
                                                  "until": end, "at": now})


def expire(uow, *, now: dt.datetime | None = None) -> int:
    """The sweep: every hold past its expiry becomes expired; returns how many."""
    effects = Effects(uow, SYSTEM)
    expired = _mark_expired(effects, _sweep_statement(), {"at": utcnow(now)})
    effects.commit()
    return expired


def _expire_held(*where):
    table = Appointment.__table__
    return (update(table)
            .where(lapsed_hold(bindparam("at")), *where)
            .values(status=EXPIRED, hold_client_key=None)
            .returning(table.c.id, table.c.professional_id, table.c.hold_expires_at))


@functools.cache
def _release_statement():
    table = Appointment.__table__
    # Parameter names differ from the columns': an UPDATE reserves those for its SET clause.
    return _expire_held(table.c.professional_id == bindparam("of_professional"),
                        table.c.start_datetime < bindparam("until"), table.c.end_datetime > bindparam("from"))


@functools.cache
def _sweep_statement():
    return _expire_held()


def _mark_expired(effects: Effects, statement, params: dict) -> int:
    rows = effects.uow.session.execute(statement, params).all()
    for row in rows:
        effects.audit_row("appointment.hold_expired", entity_type="appointment", entity_id=row.id,
                          professional_id=row.professional_id,
                          metadata={"hold_expires_at": row.hold_expires_at.isoformat()})
    return len(rows)


def confirm(uow, actor: Actor, *, token: str, now: dt.datetime | None = None) -> ClientAppointmentView:
    """The client opened the link of a held booking: it takes the professional's default status, the usual
    emails go out, and the link manages it from now on. Opening it again changes nothing; a hold that
    expired is gone (410)."""
    now = utcnow(now)
    professional, appointment = lookups.changing(uow.session, actor, token=token, now=now)
    effects = Effects(uow, actor, professional)
    if appointment.status == EXPIRED or (appointment.status == HELD and appointment.hold_expires_at <= now):
        raise Gone("This booking was not confirmed in time and has been released; please book again.")
    if appointment.status == HELD:
        # The hold's own way out (the status machine has no edge from held to an active status: nobody
        # else may take it).
        target = AppointmentStatus(professional.settings.default_appointment_status.value)
        appointment.status, appointment.hold_client_key = target, None
        effects.extend_links(appointment)
        notices.booked(effects, appointment, appointment.client)
        effects.audit("appointment.hold_confirmed", entity=appointment, metadata={"to": target.value})
    return effects.commit(answer=lambda: answer(
        actor.policy, appointment, professional, appointment.service, appointment.client, now=now))
