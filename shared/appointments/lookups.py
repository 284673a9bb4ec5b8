"""Load (and lock) what a command works on, always scoped to one professional's rows.

Each function answers NotFound for anything that is not the caller's to see; the locking ones take
FOR UPDATE (or an advisory lock) so concurrent changes queue up instead of overwriting each other.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from sqlalchemy import String, and_, bindparam, false, func, select, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import joinedload

from shared import linktokens
from shared.accounts import slugs
from shared.errors import Conflict, LinkExpired, NotFound
from shared.fields import MAX_ID
from shared.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentRequest,
    AppointmentSeries,
    Client,
    Professional,
    PublicLink,
    Service,
    User,
    takes_its_time,
)

CLIENT_EMAIL_UNIQUE = "uq_clients_professional_id_email"
NO_LINK = "This link does not exist or is no longer valid."


def professional(session, professional_id: int) -> Professional:
    """The professional with settings and user loaded."""
    found = session.scalar(
        select(Professional).options(joinedload(Professional.settings), joinedload(Professional.user))
        .where(Professional.id == professional_id))
    if found is None:
        raise NotFound("The professional does not exist.")
    return found


def page_and_service(session, slug: str, service_id: int, *,
                     lock: tuple[str, str] | None = None) -> tuple[Professional, Service]:
    """An active professional by public slug (settings and user loaded) and one of their services (active
    or not; the caller decides), in one round trip: the service is joined by id and owner.

    NotFound for an unknown or inactive page first, then for a service that is not the professional's.
    With lock = (prefix, suffix), the same statement takes the transaction-level advisory lock on
    hashtextextended(prefix || professional id || suffix, 0), saving the round trip of a SELECT of its own.
    The lock is taken as the row is produced, after this statement's snapshot: only later statements are
    sure to see what an earlier holder of the lock committed.
    """
    params = {"slug": slug, "service_id": service_id}
    if lock is not None:
        params.update(lock_prefix=lock[0], lock_suffix=lock[1])
    row = session.execute(_page_statement(lock is not None, service_id <= MAX_ID), params).first()
    if row is None or row[0].settings is None:
        raise NotFound("No professional has this booking page.")
    if row[1] is None:
        raise NotFound("The service does not exist.")
    return row[0], row[1]


def transaction_lock(*key):
    """PostgreSQL's transaction-scoped advisory lock on a text key (its parts, concatenated), hashed to 64
    bits: whoever takes the same key waits until this transaction ends. Every advisory lock of the
    appointments is spelled here, so the same key is always the same lock."""
    return func.pg_advisory_xact_lock(func.hashtextextended(func.concat(*key), 0))


@functools.cache
def _page_statement(lock: bool, valid_service_id: bool):
    # Built once per variant with bound parameters: building and cache-keying it on every public booking
    # cost more Python time than running it.
    columns: list = [Professional, Service]
    if lock:
        columns.append(transaction_lock(bindparam("lock_prefix", type_=String), Professional.id,
                                        bindparam("lock_suffix", type_=String)))
    return (
        select(*columns)
        .options(joinedload(Professional.settings), joinedload(Professional.user))
        .join(User, User.id == Professional.user_id)
        .outerjoin(Service, and_((Service.id == bindparam("service_id")) if valid_service_id else false(),
                                 Service.professional_id == Professional.id))
        .where(slugs.public_page(bindparam("slug")))
    )


def service(session, *, professional_id: int, service_id: int) -> Service:
    """One of the professional's services (active or not); NotFound for anyone else's."""
    return _owned(session, Service, professional_id, service_id, "The service does not exist.")


def client(session, *, professional_id: int, client_id: int) -> Client:
    """One of the professional's clients; NotFound for anyone else's."""
    return _owned(session, Client, professional_id, client_id, "The client does not exist.")


def _owned(session, model, professional_id: int, row_id: int, missing: str):
    found = None
    if row_id <= MAX_ID:
        found = session.scalar(
            select(model).where(model.id == row_id, model.professional_id == professional_id))
    if found is None:
        raise NotFound(missing)
    return found


def find_or_create_client(session, *, professional_id: int, name: str, email: str,
                          phone: str | None = None) -> Client:
    """The professional's client with this email, created if there is none.

    INSERT ... ON CONFLICT DO NOTHING and the look-up of an existing row share one statement: two
    concurrent bookings by a new client end with one row, and an existing client's name and phone are
    kept (the professional's record wins). That statement's snapshot predates it, so a row another
    transaction committed while the INSERT waited on it is not seen there; then (and only then) a separate
    SELECT, with a fresh snapshot, finds it.
    """
    params = {"professional_id": professional_id, "name": name, "email": email, "phone": phone}
    found = session.scalars(_find_or_create_client_statement(), params).first()
    if found is None:
        found = session.scalars(
            select(Client).where(Client.professional_id == professional_id, Client.email == email)).one()
    return found


@functools.cache
def _find_or_create_client_statement():
    # Built once with bound parameters, like the page statement above.
    inserted = (
        insert(Client).values(professional_id=bindparam("professional_id"), name=bindparam("name"),
                              email=bindparam("email"), phone=bindparam("phone"))
        .on_conflict_do_nothing(constraint=CLIENT_EMAIL_UNIQUE)
        .returning(*Client.__table__.c)
        .cte("inserted")
    )
    existing = select(*Client.__table__.c).where(Client.professional_id == bindparam("professional_id"),
                                                 Client.email == bindparam("email"))
    return select(Client).from_statement(union_all(select(*inserted.c), existing).limit(1))


def overlapping(session, *, professional_id: int, start: dt.datetime, end: dt.datetime, now: dt.datetime,
                exclude_id: int | None = None) -> Appointment | None:
    """An appointment of the professional that keeps [start, end) at `now` (active, or a hold not yet
    expired), if any."""
    query = select(Appointment).where(
        Appointment.professional_id == professional_id, takes_its_time(now),
        Appointment.start_datetime < end, Appointment.end_datetime > start)
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return session.scalars(query.order_by(Appointment.start_datetime).limit(1)).first()


def appointments_of(professional_id: int):
    """The professional's appointments with client and service loaded (a query to refine)."""
    return (select(Appointment)
            .options(joinedload(Appointment.client), joinedload(Appointment.service))
            .where(Appointment.professional_id == professional_id))


def appointment(session, *, professional_id: int, appointment_id: int | None,
                lock: bool = False) -> Appointment:
    """One of the professional's appointments (client and service loaded), optionally locked."""
    found = None
    if appointment_id is not None and appointment_id <= MAX_ID:
        query = appointments_of(professional_id).where(Appointment.id == appointment_id)
        if lock:
            query = query.with_for_update(of=Appointment)
        found = session.scalars(query).unique().one_or_none()
    if found is None:
        raise NotFound("The appointment does not exist.")
    return found


def requests_of(professional_id: int):
    """The professional's appointment requests with their service (a query to refine)."""
    return (select(AppointmentRequest, Service)
            .join(Service, and_(Service.id == AppointmentRequest.service_id,
                                Service.professional_id == AppointmentRequest.professional_id))
            .where(AppointmentRequest.professional_id == professional_id))


def request(session, *, professional_id: int, request_id: int) -> tuple[AppointmentRequest, Service]:
    """One of the professional's requests and its service, locked."""
    row = None
    if request_id <= MAX_ID:
        row = session.execute(requests_of(professional_id).where(AppointmentRequest.id == request_id)
                              .with_for_update(of=AppointmentRequest)).one_or_none()
    if row is None:
        raise NotFound("The appointment request does not exist.")
    return row[0], row[1]


@dataclass(frozen=True)
class Linked:
    """What a client's link reaches: the live link and its professional (active, settings loaded)."""

    link: PublicLink
    professional: Professional


def link(session, token: str, now: dt.datetime) -> Linked:
    """The live link for a token and its professional: NotFound for an unknown or malformed token and for a
    link whose professional's account is no longer active, LinkExpired for a revoked or expired one."""
    if not isinstance(token, str) or not linktokens.looks_like_token(token):
        raise NotFound(NO_LINK)
    found = session.scalar(select(PublicLink).where(PublicLink.token_hash == linktokens.hash_token(token)))
    if found is None:
        raise NotFound(NO_LINK)
    if found.revoked_at is not None or found.expires_at <= now:
        raise LinkExpired(NO_LINK)
    owner = professional(session, found.professional_id)
    if not (owner.is_active and owner.user.is_active):
        raise NotFound(NO_LINK)
    return Linked(found, owner)


def linked_appointment(session, linked: Linked, *, lock: bool) -> Appointment:
    """The appointment a client's link manages (client and service loaded), optionally locked."""
    if linked.link.appointment_id is None:
        raise NotFound("This link does not manage an appointment.")
    try:
        return appointment(session, professional_id=linked.professional.id,
                           appointment_id=linked.link.appointment_id, lock=lock)
    except NotFound:
        raise NotFound(NO_LINK) from None


def changing(session, actor, *, appointment_id: int | None = None, token: str | None = None,
             now: dt.datetime) -> tuple[Professional, Appointment]:
    """The appointment a change is about, locked, and its professional: by id among the professional's own
    (actor.professional_id), or through a client's link (token)."""
    if actor.policy.by_client:
        linked = link(session, token, now)
        return linked.professional, linked_appointment(session, linked, lock=True)
    owner = professional(session, actor.professional_id)
    return owner, appointment(session, professional_id=owner.id, appointment_id=appointment_id, lock=True)


@dataclass(frozen=True)
class Reach:
    """The appointments a change to one occurrence reaches: `series` is None for that one alone."""

    series: AppointmentSeries | None
    appointments: list[Appointment]


def reach(session, appointment: Appointment, scope: str, now: dt.datetime) -> Reach:
    """What `scope` ("this", "following" or "all") reaches from a locked appointment: the appointment alone
    (scope "this", or an appointment of no series), else the series (locked: changes to one series take
    turns) and its upcoming active appointments (locked, in the pattern's order), from this one's place
    on ("following") or all of them. Past, completed and cancelled appointments are never reached."""
    if scope == "this" or appointment.series_id is None:
        return Reach(None, [appointment])
    series = session.scalar(select(AppointmentSeries).where(AppointmentSeries.id == appointment.series_id)
                            .with_for_update())
    query = (appointments_of(appointment.professional_id)
             .where(Appointment.series_id == series.id, Appointment.status.in_(ACTIVE_STATUSES),
                    Appointment.start_datetime > now)
             .order_by(Appointment.recurrence_start).with_for_update(of=Appointment))
    if scope == "following":
        query = query.where(Appointment.recurrence_start >= appointment.recurrence_start)
    found = list(session.scalars(query).unique())
    if not found:
        raise Conflict("No upcoming appointment of the series is left to change.",
                       slug="invalid-status-change", current_status=appointment.status.value)
    return Reach(series, found)
