"""Catalog rules: a professional's services and clients, always scoped by the professional from the token."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError

from shared.errors import Conflict, NotFound
from shared.fields import MAX_ID
from shared.models import Client, Service, came_only_with_unconfirmed_bookings

CLIENT_EMAIL_UNIQUE = "uq_clients_professional_id_email"
DUPLICATE_EMAIL = "A client with this email already exists."


# Services


def get_service(uow, *, professional_id: int, service_id: int) -> Service:
    """One of the professional's services (active or not); NotFound for anyone else's."""
    service = None
    if service_id <= MAX_ID:
        service = uow.session.scalar(
            select(Service).where(Service.id == service_id, Service.professional_id == professional_id)
        )
    if service is None:
        raise NotFound("The service does not exist.")
    return service


def get_all_services(uow, *, professional_id: int, limit: int, offset: int,
                     include_inactive: bool = False) -> tuple[list[Service], int]:
    """A page of the services by name (only active ones unless `include_inactive`), and the total."""
    query = select(Service).where(Service.professional_id == professional_id)
    if not include_inactive:
        query = query.where(Service.is_active.is_(True))
    total = uow.session.scalar(select(func.count()).select_from(query.subquery()))
    items = uow.session.scalars(query.order_by(Service.name, Service.id).limit(limit).offset(offset))
    return list(items), total


def create_service(uow, *, professional_id: int, service_in: dict[str, Any]) -> Service:
    """Add a service to the professional's catalog."""
    service = Service(professional_id=professional_id, **service_in)
    uow.session.add(service)
    uow.session.flush()
    uow.session.refresh(service)
    uow.commit()
    return service


def update_service(uow, *, professional_id: int, service_id: int, service_in: dict[str, Any]) -> Service:
    """Change the given fields of one of the professional's services."""
    service = get_service(uow, professional_id=professional_id, service_id=service_id)
    for name, value in service_in.items():
        setattr(service, name, value)
    uow.session.flush()
    uow.session.refresh(service)
    uow.commit()
    return service


def delete_service(uow, *, professional_id: int, service_id: int) -> None:
    """Deactivate a service: it stays for the appointments that name it, but is no longer offered."""
    service = get_service(uow, professional_id=professional_id, service_id=service_id)
    service.is_active = False
    uow.commit()


# Clients


def get_client(uow, *, professional_id: int, client_id: int) -> Client:
    """One of the professional's clients; NotFound for anyone else's."""
    client = None
    if client_id <= MAX_ID:
        client = uow.session.scalar(
            select(Client).where(Client.id == client_id, Client.professional_id == professional_id)
        )
    if client is None:
        raise NotFound("The client does not exist.")
    return client


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with the user's own %, _ and \\ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def client_search(*, professional_id: int, name: str | None = None, email: str | None = None,
                  q: str | None = None) -> Select:
    """The filtered (unordered, unpaged) client query; ILIKE '%…%' lets the trigram GIN indexes serve it."""
    query = select(Client).where(Client.professional_id == professional_id,
                                 ~came_only_with_unconfirmed_bookings())
    if name:
        query = query.where(Client.name.ilike(like_pattern(name), escape="\\"))
    if email:
        query = query.where(Client.email.ilike(like_pattern(email), escape="\\"))
    if q:
        pattern = like_pattern(q)
        query = query.where(or_(Client.name.ilike(pattern, escape="\\"),
                                Client.email.ilike(pattern, escape="\\")))
    return query


def get_all_clients(uow, *, professional_id: int, limit: int, offset: int, name: str | None = None,
                    email: str | None = None, q: str | None = None) -> tuple[list[Client], int]:
    """A page of the professional's clients matching the filters, ordered by name, and the total count."""
    query = client_search(professional_id=professional_id, name=name, email=email, q=q)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery()))
    items = uow.session.scalars(query.order_by(Client.name, Client.id).limit(limit).offset(offset))
    return list(items), total


def create_client(uow, *, professional_id: int, client_in: dict[str, Any]) -> Client:
    """Add a client; Conflict when the professional already has a client with that email."""
    client = Client(professional_id=professional_id, **client_in)
    uow.session.add(client)
    _flush_unique_email(uow)
    uow.session.refresh(client)
    uow.commit()
    return client


def update_client(uow, *, professional_id: int, client_id: int, client_in: dict[str, Any]) -> Client:
    """Change the given fields of one of the professional's clients; Conflict on a taken email."""
    client = get_client(uow, professional_id=professional_id, client_id=client_id)
    for name, value in client_in.items():
        setattr(client, name, value)
    _flush_unique_email(uow)
    uow.session.refresh(client)
    uow.commit()
    return client


def _flush_unique_email(uow) -> None:
    # The unique constraint decides, so two concurrent requests cannot both pass a check made in Python.
    try:
        uow.session.flush()
    except IntegrityError as error:
        if getattr(error.orig.diag, "constraint_name", None) != CLIENT_EMAIL_UNIQUE:
            raise
        uow.rollback()
        raise Conflict(DUPLICATE_EMAIL, errors={"email": [DUPLICATE_EMAIL]}) from None
