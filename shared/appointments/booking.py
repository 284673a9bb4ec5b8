"""Rules every booking path shares: tenant-scoped look-ups, find-or-create client, overlap guard, links."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, bindparam, false, func, select, union_all, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from shared import linktokens, metrics
from shared.accounts import slugs
from shared.errors import Conflict, NotFound
from shared.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentRequest,
    Client,
    LinkType,
    Professional,
    PublicLink,
    Service,
    User,
)

MAX_ID = 2**63 - 1  # BIGINT: a larger id names nothing rather than failing in the database
CLIENT_EMAIL_UNIQUE = "uq_clients_professional_id_email"
OVERLAP_SQLSTATE = "23P01"
# A client's link keeps working this long after the appointment ends (to look it up afterwards).
LINK_VALID_AFTER_END = dt.timedelta(days=30)
OVERLAP = "The time overlaps another appointment."


def utcnow(now: dt.datetime | None = None) -> dt.datetime:
    """`now` (aware) in UTC, or the current time."""
    if now is None:
        return dt.datetime.now(dt.UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(dt.UTC)


def local(moment: dt.datetime | None, timezone: str) -> dt.datetime | None:
    """An instant shown in the professional's zone."""
    return None if moment is None else moment.astimezone(ZoneInfo(timezone))


def get_professional(session, professional_id: int) -> Professional:
    """The professional with settings and user loaded."""
    professional = session.scalar(
        select(Professional).options(joinedload(Professional.settings), joinedload(Professional.user))
        .where(Professional.id == professional_id)
    )
    if professional is None:
        raise NotFound("The professional does not exist.")
    return professional


def get_public_professional_and_service(
        session, slug: str, service_id: int, *,
        lock_key: tuple[str, str] | None = None) -> tuple[Professional, Service]:
    """An active professional by public slug (settings and user loaded) and one of their services (active
    or not; the caller decides), in one round trip: the service is joined by id and owner.

    NotFound for an unknown or inactive page first, then for a service that is not the professional's.
    With lock_key = (prefix, suffix), the same statement takes the transaction-level advisory lock on
    hashtextextended(prefix || professional id || suffix, 0) (shared.appointments.public), saving the
    round trip of a SELECT of its own. The lock is taken as the row is produced, after this statement's
    snapshot: only later statements are sure to see what an earlier holder of the lock committed.
    """
    params = {"slug": slug, "service_id": service_id}
    if lock_key is not None:
        params.update(lock_prefix=lock_key[0], lock_suffix=lock_key[1])
    row = session.execute(_public_page_statement(lock_key is not None, service_id <= MAX_ID), params).first()
    if row is None or row[0].settings is None:
        raise NotFound("No professional has this booking page.")
    professional, service = row[0], row[1]
    if service is None:
        raise NotFound("The service does not exist.")
    return professional, service


@functools.cache
def _public_page_statement(lock: bool, valid_service_id: bool):
    # Built once per variant with bound parameters: building and cache-keying it on every booking cost
    # more Python time than running it.
    columns: list = [Professional, Service]
    if lock:
        columns.append(func.pg_advisory_xact_lock(func.hashtextextended(
            func.concat(bindparam("lock_prefix", type_=String), Professional.id,
                        bindparam("lock_suffix", type_=String)), 0)))
    return (
        select(*columns)
        .options(joinedload(Professional.settings), joinedload(Professional.user))
        .join(User, User.id == Professional.user_id)
        .outerjoin(Service, and_((Service.id == bindparam("service_id")) if valid_service_id else false(),
                                 Service.professional_id == Professional.id))
        .where(slugs.public_page(bindparam("slug")))
    )


def get_service(session, *, professional_id: int, service_id: int) -> Service:
    """One of the professional's services (active or not); NotFound for anyone else's."""
    service = None
    if service_id <= MAX_ID:
        service = session.scalar(
            select(Service).where(Service.id == service_id, Service.professional_id == professional_id))
    if service is None:
        raise NotFound("The service does not exist.")
    return service


def get_client(session, *, professional_id: int, client_id: int) -> Client:
    """One of the professional's clients; NotFound for anyone else's."""
    client = None
    if client_id <= MAX_ID:
        client = session.scalar(
            select(Client).where(Client.id == client_id, Client.professional_id == professional_id))
    if client is None:
        raise NotFound("The client does not exist.")
    return client


def find_or_create_client(session, *, professional_id: int, name: str, email: str,
                          phone: str | None = None) -> Client:
    """The professional's client with this email, created if there is none.

    INSERT ... ON CONFLICT DO NOTHING, then SELECT: two concurrent bookings by a new client end with
    one row. An existing client's name and phone are kept (the professional's record wins).

    Usually one round trip: the INSERT and the look-up of an existing row share one statement. That
    statement's snapshot predates it, so a row another transaction committed while the INSERT waited on
    it is not seen there; then (and only then) a separate SELECT, with a fresh snapshot, finds it.
    """
    params = {"professional_id": professional_id, "name": name, "email": email, "phone": phone}
    client = session.scalars(_find_or_create_client_statement(), params).first()
    if client is None:
        client = session.scalars(
            select(Client).where(Client.professional_id == professional_id, Client.email == email)
        ).one()
    return client


@functools.cache
def _find_or_create_client_statement():
    # Built once with bound parameters, like the other statements of a public booking.
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


def find_overlap(session, *, professional_id: int, start: dt.datetime, end: dt.datetime,
                 exclude_id: int | None = None) -> Appointment | None:
    """An active appointment of the professional overlapping [start, end), if any."""
    query = select(Appointment).where(
        Appointment.professional_id == professional_id,
        Appointment.status.in_(ACTIVE_STATUSES),
        Appointment.start_datetime < end,
        Appointment.end_datetime > start,
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return session.scalars(query.order_by(Appointment.start_datetime).limit(1)).first()


def flush_booking(session, conflict: Conflict) -> None:
    """Flush pending writes; the exclusion constraint's verdict (SQLSTATE 23P01) becomes `conflict`."""
    try:
        session.flush()
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != OVERLAP_SQLSTATE:
            raise
        raise conflict from None


def commit_booking(uow, conflict: Conflict, *, creates_appointment: bool = False) -> None:
    """Commit; an overlap the database reports only now is still `conflict`, never a 500."""
    flush_booking(uow.session, conflict)
    try:
        uow.commit()
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != OVERLAP_SQLSTATE:
            raise
        raise conflict from None
    if creates_appointment:
        metrics.bookings_created.inc()  # counted only once the appointment is really stored


def link_expiry(end: dt.datetime) -> dt.datetime:
    return end + LINK_VALID_AFTER_END


def issue_link(session, *, professional_id: int, expires_at: dt.datetime,
               appointment: Appointment | None = None, request: AppointmentRequest | None = None) -> str:
    """A client link for an appointment or a request; returns the token (only its hash is stored)."""
    token, values = link_values(professional_id=professional_id, expires_at=expires_at,
                                appointment=appointment, request=request)
    session.add(PublicLink(**values))
    return token


def link_values(*, professional_id: int, expires_at: dt.datetime, appointment: Appointment | None = None,
                request: AppointmentRequest | None = None) -> tuple[str, dict]:
    """issue_link()'s token and row (as column values), for a caller that inserts the row itself."""
    link_type = LinkType.appointment if appointment is not None else LinkType.appointment_request
    token, nonce, token_hash = linktokens.new_token(link_type.value)
    return token, {"professional_id": professional_id, "type": link_type, "token_hash": token_hash,
                   "token_nonce": nonce, "expires_at": expires_at,
                   "appointment_id": appointment.id if appointment is not None else None,
                   "appointment_request_id": request.id if request is not None else None}


def revoke_links(session, appointment: Appointment, now: dt.datetime) -> None:
    """The appointment's live links stop working (it now belongs to another client)."""
    session.execute(
        update(PublicLink)
        .where(PublicLink.appointment_id == appointment.id, PublicLink.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def extend_links(session, appointment: Appointment) -> None:
    """After a reschedule, the appointment's live links last until the new end + the usual margin."""
    session.execute(
        update(PublicLink)
        .where(PublicLink.appointment_id == appointment.id, PublicLink.revoked_at.is_(None))
        .values(expires_at=link_expiry(appointment.end_datetime))
    )
