"""Closing a professional's account: every client erased as erasure does, then the account switched off."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select

from shared import audit
from shared.accounts import service as accounts
from shared.accounts.common import NO_ORIGIN, Origin
from shared.catalog.service import MAX_ID
from shared.errors import NotFound, ValidationFailed
from shared.models import AppointmentRequest, Client, Notification, Professional, User
from shared.privacy.erasure import erase, refuse_while_anything_is_ahead

EXPORT_FIRST = ("Closing the account erases every client for good. Export what you need first "
                "(GET /clients/{id}/export for each client), then send {\"confirm\": true}.")


def close_account(uow, *, professional_id: int, confirm: bool, actor_user_id: int | None = None,
                  origin: Origin = NO_ORIGIN, now: dt.datetime | None = None) -> dict[str, Any]:
    """Erase every client of the professional, then deactivate the account (refresh tokens revoked).

    Without `confirm` nothing happens: the answer offers each client's export first. Refused, as an
    erasure is, while an appointment or request is ahead or a cancellation e-mail is unsent.
    """
    now = now or dt.datetime.now(dt.UTC)
    session = uow.session
    professional = None
    if professional_id <= MAX_ID:
        professional = session.scalar(select(Professional).where(Professional.id == professional_id)
                                      .with_for_update())
    if professional is None:
        raise NotFound("The professional does not exist.")
    clients = list(session.scalars(select(Client).where(Client.professional_id == professional_id)
                                   .order_by(Client.id).with_for_update()))
    if not confirm:
        refused = ValidationFailed(EXPORT_FIRST, errors={"confirm": [EXPORT_FIRST]})
        refused.extra = {"export_urls": [f"/clients/{c.id}/export" for c in clients]}
        raise refused
    refuse_while_anything_is_ahead(session, professional_id=professional_id, now=now)
    for client in clients:
        erase(session, client, actor_user_id=actor_user_id, origin=origin, now=now)
    # Requests of people who never became clients, and any message to someone other than the professional.
    bulk = {"synchronize_session": False}
    requests = session.execute(delete(AppointmentRequest).where(
        AppointmentRequest.professional_id == professional_id), execution_options=bulk).rowcount
    own_email = select(User.email).where(User.id == professional.user_id).scalar_subquery()
    session.execute(delete(Notification).where(Notification.professional_id == professional_id,
                                               Notification.recipient != own_email), execution_options=bulk)
    summary = {"clients_erased": len(clients), "appointment_requests_erased": requests}
    audit.record(session, action="account.closed", actor_user_id=actor_user_id,
                 professional_id=professional_id, entity_type="professional", entity_id=professional_id,
                 ip_address=origin.audit_ip, request_id=origin.request_id, metadata=summary)
    # The account service switches the account off, revokes its sessions and commits it all at once.
    accounts.set_active(uow, user_id=professional.user_id, is_active=False, actor_user_id=actor_user_id,
                        origin=origin)
    return {"professional_id": professional_id, "closed_at": now, **summary}
