"""Operator services: find professionals, see one with its counts, (de)activate it, platform statistics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, distinct, func, or_, select
from sqlalchemy.orm import joinedload

from shared import audit
from shared.accounts import service as accounts
from shared.accounts.common import NO_ORIGIN, Origin
from shared.errors import NotFound, ValidationFailed
from shared.fields import MAX_ID
from shared.models import (
    Appointment,
    AppointmentStatus,
    Client,
    Professional,
    Service,
    User,
    came_only_with_unconfirmed_bookings,
)

STATUSES = tuple(status.value for status in AppointmentStatus)
# A hold nobody confirmed never became an appointment: counted apart (`expired`), never in the total, a
# cancellation or the clients served.
EXPIRED = AppointmentStatus.expired.value
BOOKED = Appointment.status != AppointmentStatus.expired
DEFAULT_PERIOD_DAYS = 30


@dataclass(frozen=True)
class ProfessionalDetail:
    """A professional and its counts; reads through to the professional's own attributes."""

    professional: Professional
    counts: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.professional, name)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _professionals(q: str | None, is_active: bool | None) -> Select:
    query = select(Professional).join(User, User.id == Professional.user_id)
    if q:
        pattern = _like(q)
        query = query.where(or_(User.name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\"),
                                Professional.public_slug.ilike(pattern, escape="\\"),
                                Professional.business_name.ilike(pattern, escape="\\")))
    if is_active is not None:
        query = query.where(Professional.is_active.is_(is_active))
    return query


def get_all_professionals(uow, *, limit: int, offset: int, q: str | None = None,
                          is_active: bool | None = None) -> tuple[list[Professional], int]:
    """A page of professionals, newest first, matching `q` (name, business name, email or slug) and
    `is_active`; and how many match in all."""
    query = _professionals(q, is_active)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery()))
    page = (query.options(joinedload(Professional.user))
            .order_by(Professional.created_at.desc(), Professional.id.desc()).limit(limit).offset(offset))
    return list(uow.session.scalars(page)), total


def _get(uow, professional_id: int) -> Professional:
    professional = None
    if professional_id <= MAX_ID:
        query = select(Professional).options(joinedload(Professional.user))
        professional = uow.session.scalar(query.where(Professional.id == professional_id))
    if professional is None:
        raise NotFound("The professional does not exist.")
    return professional


def _appointment_counts(rows: dict[str, int]) -> dict[str, int]:
    counts = {status: int(rows.get(status) or 0) for status in STATUSES}
    counts["total"] = sum(n for status, n in counts.items() if status != EXPIRED)
    return counts


def get_professional(uow, *, professional_id: int) -> ProfessionalDetail:
    """One professional with its services (all and active), clients and appointments by status."""
    professional = _get(uow, professional_id)
    session = uow.session
    services, active_services = session.execute(
        select(func.count(), func.count().filter(Service.is_active))
        .where(Service.professional_id == professional_id)).one()
    clients = session.scalar(select(func.count()).select_from(Client)
                             .where(Client.professional_id == professional_id,
                                    ~came_only_with_unconfirmed_bookings()))
    by_status = session.execute(
        select(Appointment.status, func.count()).where(Appointment.professional_id == professional_id)
        .group_by(Appointment.status)).all()
    counts = {"services": services, "active_services": active_services, "clients": clients,
              "appointments": _appointment_counts({status.value: n for status, n in by_status})}
    return ProfessionalDetail(professional, counts)


def set_status(uow, *, professional_id: int, is_active: bool, actor_user_id: int,
               origin: Origin = NO_ORIGIN) -> ProfessionalDetail:
    """Activate or deactivate a professional: profile and account together, audited.

    Deactivation revokes the account's refresh tokens; its access tokens stop working on the next request
    (every guarded request re-reads is_active) and its public page and booking disappear. Asking for the
    state it is already in changes nothing and records nothing.
    """
    professional = _get(uow, professional_id)
    if professional.is_active == is_active and professional.user.is_active == is_active:
        return get_professional(uow, professional_id=professional_id)
    audit.record(uow.session, action="professional.activated" if is_active else "professional.deactivated",
                 actor_user_id=actor_user_id, professional_id=professional.id, entity_type="professional",
                 entity_id=professional.id, ip_address=origin.audit_ip, request_id=origin.request_id,
                 metadata={"public_slug": professional.public_slug, "user_id": professional.user_id})
    # The account service owns the switch (user and profile, refresh tokens) and commits both audit rows.
    accounts.set_active(uow, user_id=professional.user_id, is_active=is_active, actor_user_id=actor_user_id,
                        origin=origin)
    return get_professional(uow, professional_id=professional_id)


def period(date_from: dt.date | dt.datetime | None, date_to: dt.date | dt.datetime | None,
           today: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC: dates are UTC days and a date `to` includes its day; the default is the last
    30 days up to and including today."""
    today = today or dt.datetime.now(dt.UTC).date()

    def start_of(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)

    if date_to is None:
        end = start_of(today + dt.timedelta(days=1))
    elif isinstance(date_to, dt.datetime):
        end = date_to.astimezone(dt.UTC)
    else:
        end = start_of(date_to + dt.timedelta(days=1))
    if date_from is None:
        start = end - dt.timedelta(days=DEFAULT_PERIOD_DAYS)
    elif isinstance(date_from, dt.datetime):
        start = date_from.astimezone(dt.UTC)
    else:
        start = start_of(date_from)
    if end <= start:
        raise ValidationFailed(errors={"to": ["The period must end after it starts."]})
    return start, end


def _status_columns() -> list:
    return [func.count().filter(Appointment.status == status).label(status) for status in STATUSES]


def _activity(row: Any, prefix: str = "") -> dict[str, Any]:
    mapping = row._mapping
    return {
        "appointments": _appointment_counts({s: mapping[prefix + s] for s in STATUSES}),
        "clients": int(mapping[prefix + "clients"] or 0),
        "new_clients": int(mapping[prefix + "new_clients"] or 0),
        "active_services": int(mapping[prefix + "active_services"] or 0),
    }


def get_stats(uow, *, start: dt.datetime, end: dt.datetime, limit: int, offset: int) -> dict[str, Any]:
    """Appointments by status, clients and active services over [start, end): platform totals, and a page
    of professionals, busiest first. Two statements, whatever the number of professionals."""
    in_period = (Appointment.start_datetime >= start, Appointment.start_datetime < end)
    new_client = (Client.created_at >= start, Client.created_at < end, ~came_only_with_unconfirmed_bookings())
    session = uow.session

    appointments = select(*_status_columns(),
                          func.count(distinct(Appointment.client_id)).filter(BOOKED).label("clients")) \
        .where(*in_period).subquery()
    totals_row = session.execute(select(
        appointments,
        select(func.count()).select_from(Client).where(*new_client).scalar_subquery().label("new_clients"),
        select(func.count()).select_from(Service).where(Service.is_active).scalar_subquery()
        .label("active_services"),
        select(func.count()).select_from(Professional).scalar_subquery().label("professionals"),
        select(func.count()).select_from(Professional).where(Professional.is_active).scalar_subquery()
        .label("active_professionals"),
        select(func.count()).select_from(Professional)
        .where(Professional.created_at >= start, Professional.created_at < end).scalar_subquery()
        .label("new_professionals"),
    )).one()
    totals = _activity(totals_row)
    totals.update({key: int(totals_row._mapping[key]) for key in
                   ("professionals", "active_professionals", "new_professionals")})

    per_appointments = (
        select(Appointment.professional_id, *_status_columns(), func.count().filter(BOOKED).label("total"),
               func.count(distinct(Appointment.client_id)).filter(BOOKED).label("clients"))
        .where(*in_period).group_by(Appointment.professional_id).subquery("a"))
    per_services = (select(Service.professional_id, func.count().label("active_services"))
                    .where(Service.is_active).group_by(Service.professional_id).subquery("s"))
    per_clients = (select(Client.professional_id, func.count().label("new_clients"))
                   .where(*new_client).group_by(Client.professional_id).subquery("c"))
    busiest = func.coalesce(per_appointments.c.total, 0)
    rows = session.execute(
        select(Professional.id, Professional.business_name, Professional.public_slug, Professional.is_active,
               *[per_appointments.c[s] for s in STATUSES], per_appointments.c.clients,
               per_clients.c.new_clients, per_services.c.active_services)
        .outerjoin(per_appointments, per_appointments.c.professional_id == Professional.id)
        .outerjoin(per_services, per_services.c.professional_id == Professional.id)
        .outerjoin(per_clients, per_clients.c.professional_id == Professional.id)
        .order_by(busiest.desc(), Professional.id).limit(limit).offset(offset)
    ).all()
    items = [{"professional_id": row.id, "business_name": row.business_name, "public_slug": row.public_slug,
              "is_active": row.is_active, **_activity(row)} for row in rows]
    return {"date_from": start, "date_to": end, "totals": totals,
            "professionals": {"items": items, "total": totals["professionals"], "limit": limit,
                              "offset": offset}}

