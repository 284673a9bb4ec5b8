"""The one writer of what an appointment change records besides the row itself: audit rows, outbox
notifications and client links. Every command records its effects here and commits through here.

The effects are collected while a command runs and written together by commit(), in ONE statement of
data-modifying CTEs that PostgreSQL runs to completion in the command's transaction (one round trip instead
of one per row: a public booking writes a link, an audit row and two notifications). The ids of the new
notifications go to the queue through the unit of work's after-commit hook, so a rollback sends nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy import false, insert, literal, select, union_all, update
from sqlalchemy.exc import IntegrityError

from shared import audit, linktokens, metrics
from shared.appointments.actors import Actor
from shared.errors import Conflict
from shared.models import Appointment, AppointmentRequest, AuditLog, LinkType, Professional, PublicLink
from shared.notifications import outbox

OVERLAP_SQLSTATE = "23P01"  # exclusion_violation: ex_appointments_no_overlap
# A client's link keeps working this long after the appointment ends (to look it up afterwards).
LINK_VALID_AFTER_END = dt.timedelta(days=30)
T = TypeVar("T")


def link_expiry(end: dt.datetime) -> dt.datetime:
    return end + LINK_VALID_AFTER_END


def _ip(value: str | None) -> str | None:
    # The audit column is INET: anything that is not an address ("unknown") is left out.
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def audit_values(actor: Actor, *, action: str, professional_id: int | None, entity_type: str,
                 entity_id: int, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """The audit row of an actor's change to an appointment or a request, as column values."""
    return audit.row_values(action=action, actor_user_id=actor.user_id, professional_id=professional_id,
                            entity_type=entity_type, entity_id=entity_id, ip_address=_ip(actor.ip_address),
                            request_id=actor.request_id, metadata=metadata)


class Effects:
    """What one command records for one actor, written once at commit(). Notifications need the professional
    (their settings and address); audit rows and links take the professional from the row they are about."""

    def __init__(self, uow, actor: Actor, professional: Professional | None = None):
        self.uow = uow
        self.actor = actor
        self.professional = professional
        self._links: list[dict[str, Any]] = []
        self._link_updates: dict[int, dict[str, Any]] = {}  # appointment id -> new values of its live links
        self._audit: list[dict[str, Any]] = []
        self._notifications: list[dict[str, Any]] = []

    # Recording

    def audit(self, action: str, *, entity: Appointment | AppointmentRequest,
              metadata: dict[str, Any] | None = None) -> None:
        """One audit row: who (the actor), what (action, entity, metadata), from where."""
        entity_type = "appointment" if isinstance(entity, Appointment) else "appointment_request"
        self.audit_row(action, entity_type=entity_type, entity_id=entity.id,
                       professional_id=entity.professional_id, metadata=metadata)

    def audit_row(self, action: str, *, entity_type: str, entity_id: int, professional_id: int,
                  metadata: dict[str, Any] | None = None) -> None:
        """audit() for a row known by its ids only (one a statement changed without loading it)."""
        self._audit.append(audit_values(self.actor, action=action, professional_id=professional_id,
                                        entity_type=entity_type, entity_id=entity_id, metadata=metadata))

    def notify(self, kind: str, *, to_client: str | None = None, appointment: Appointment | None = None,
               request: AppointmentRequest | None = None, payload: dict[str, Any] | None = None) -> None:
        """One e-mail, to the client's address given, or else to the professional; none when the
        professional turned e-mails off."""
        if not self.professional.settings.email_notification_enabled:
            return
        self._notifications.append(outbox.values(
            type=kind, recipient=to_client or self.professional.user.email,
            professional_id=self.professional.id,
            appointment_id=appointment.id if appointment is not None else None,
            appointment_request_id=request.id if request is not None else None, payload=payload))

    def issue_link(self, *, expires_at: dt.datetime, appointment: Appointment | None = None,
                   request: AppointmentRequest | None = None) -> str:
        """A client link for an appointment or a request; returns the token (only its hash is stored)."""
        link_type = LinkType.appointment if appointment is not None else LinkType.appointment_request
        token, nonce, token_hash = linktokens.new_token(link_type.value)
        self._links.append({
            "professional_id": (appointment or request).professional_id, "type": link_type,
            "token_hash": token_hash, "token_nonce": nonce, "expires_at": expires_at,
            "appointment_id": appointment.id if appointment is not None else None,
            "appointment_request_id": request.id if request is not None else None})
        return token

    def revoke_links(self, appointment: Appointment, now: dt.datetime) -> None:
        """The appointment's live links stop working (it now belongs to another client). A link issued in
        the same command is not touched: the statement's snapshot predates it."""
        self._link_updates.setdefault(appointment.id, {})["revoked_at"] = now

    def extend_links(self, appointment: Appointment) -> None:
        """After a new time, the appointment's live links last until the new end + the usual margin."""
        expires_at = link_expiry(appointment.end_datetime)
        self._link_updates.setdefault(appointment.id, {})["expires_at"] = expires_at

    def appointment_created(self, appointment: Appointment) -> None:
        """Count the new appointment in the metrics once the transaction has committed (never if it
        rolls back)."""
        self.uow.after_commit(_count_bookings, appointment.id)

    # Writing

    def flush(self, conflict: Conflict) -> None:
        """Write the pending rows (the appointment itself); an overlap becomes `conflict`."""
        with _overlap_as(conflict):
            self.uow.session.flush()

    def commit(self, conflict: Conflict | None = None, answer: Callable[[], T] = lambda: None) -> T:
        """Write the rows and every effect recorded, build the answer, then commit; returns the answer.

        The answer is built after the writes and before the commit, in the transaction: what the database
        set (timestamps) loads there. The exclusion constraint's verdict, at any of these steps, becomes
        `conflict` (never a 500)."""
        with _overlap_as(conflict):
            self.uow.session.flush()
            self._write()
            result = answer()
            self.uow.commit()
        return result

    def _write(self) -> None:
        ctes = [insert(PublicLink.__table__).values(row).returning(PublicLink.id).cte(f"link_{n}")
                for n, row in enumerate(self._links)]
        # One UPDATE per appointment: two in one statement must not touch the same row.
        ctes += [update(PublicLink).where(PublicLink.appointment_id == appointment_id,
                                          PublicLink.revoked_at.is_(None))
                 .values(values).returning(PublicLink.id).cte(f"link_update_{n}")
                 for n, (appointment_id, values) in enumerate(self._link_updates.items())]
        if self._audit:
            # One INSERT for all audit rows, so their ids follow the order they were recorded in (a single
            # row as such: SQLAlchemy caches that form's compilation, not a multi-row VALUES').
            rows = self._audit if len(self._audit) > 1 else self._audit[0]
            ctes.append(insert(AuditLog.__table__).values(rows).returning(AuditLog.id).cte("audit"))
        notifications = [outbox.row_cte(row, f"notification_{n}")
                         for n, row in enumerate(self._notifications)]
        self._links, self._link_updates, self._audit, self._notifications = [], {}, [], []
        if not ctes and not notifications:
            return
        # The main statement returns the new notification ids; every other CTE rides along (add_cte).
        selects = [select(cte.c.id) for cte in notifications] or [select(literal(0)).where(false())]
        statement = selects[0] if len(selects) == 1 else union_all(*selects)
        for cte in ctes:
            statement = statement.add_cte(cte)
        ids = list(self.uow.session.scalars(statement))
        outbox.collect(self.uow, ids)


def _count_bookings(created: list[int]) -> None:
    metrics.bookings_created.inc(len(created))  # counted only once the appointments are really stored


@contextlib.contextmanager
def _overlap_as(conflict: Conflict | None) -> Iterator[None]:
    """Inside the block, the exclusion constraint's IntegrityError (SQLSTATE 23P01) becomes `conflict`."""
    try:
        yield
    except IntegrityError as error:
        if conflict is None or getattr(error.orig, "sqlstate", None) != OVERLAP_SQLSTATE:
            raise
        raise conflict from None
