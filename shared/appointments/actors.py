"""Who changes an appointment (the actor, for the audit trail) and which rules apply to them (the policy).

Every command (book, reschedule, change status, cancel, accept or reject a request) is one path for all
entry points; the entry points differ only in the Actor they pass, and the actor's Policy names the few
rules that differ between a professional and a client.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.clock import local
from shared.errors import Conflict
from shared.models import Appointment, Professional

OVERLAP = "The time overlaps another appointment."
UNAVAILABLE = "That time is no longer available; please choose another one."


@dataclass(frozen=True)
class Policy:
    """The rules that depend on who acts; everything else is the same for everyone."""

    name: str
    # A client acts (public page, their link): they may only take a slot availability offers, changes close
    # at the cancellation window, the professional is told of what they do, and a clash is "unavailable".
    # The professional may use any free time, at any moment, and a clash names the appointment in the way.
    by_client: bool

    def conflict(self, professional: Professional, other: Appointment | None = None) -> Conflict:
        """The 409 for a time taken by another appointment (the exclusion constraint's verdict included)."""
        if self.by_client:
            return Conflict(UNAVAILABLE, slug="slot-unavailable")
        if other is None:
            return Conflict(OVERLAP, slug="overlap")
        start = local(other.start_datetime, professional.timezone)
        end = local(other.end_datetime, professional.timezone)
        return Conflict(f"The time overlaps another appointment ({start:%Y-%m-%d %H:%M}-{end:%H:%M}).",
                        slug="overlap", conflicting_appointment_id=other.id)

    def not_movable(self, appointment: Appointment) -> Conflict:
        """The 409 for moving an appointment that is no longer pending or confirmed."""
        status = appointment.status.value
        tail = ("it can no longer be rescheduled." if self.by_client
                else "only pending or confirmed appointments can be rescheduled.")
        return Conflict(f"The appointment is {status}; {tail}", slug="invalid-status-change",
                        current_status=status)


PROFESSIONAL_RULES = Policy("professional", by_client=False)
CLIENT_RULES = Policy("client", by_client=True)


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in professional's user (and their tenant), an anonymous client, or the system.

    user_id, ip_address and request_id go to the audit trail; professional_id scopes a professional's
    commands to their own rows; policy is the set of rules that applies.
    """

    user_id: int | None = None
    ip_address: str | None = None
    request_id: str | None = None
    professional_id: int | None = None
    policy: Policy = field(default=PROFESSIONAL_RULES)

    @classmethod
    def professional(cls, professional_id: int, user_id: int | None = None, *, ip_address: str | None = None,
                     request_id: str | None = None) -> Actor:
        return cls(user_id=user_id, ip_address=ip_address, request_id=request_id,
                   professional_id=professional_id, policy=PROFESSIONAL_RULES)

    @classmethod
    def client(cls, *, ip_address: str | None = None, request_id: str | None = None) -> Actor:
        return cls(ip_address=ip_address, request_id=request_id, policy=CLIENT_RULES)


SYSTEM = Actor()  # scheduled jobs: no user, no address
ANONYMOUS_CLIENT = Actor.client()  # a client whose address and request are not known
