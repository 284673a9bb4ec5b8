"""The accept and decline links of the professional's "new request" e-mail, for a professional without a
frontend: whoever holds the e-mail may answer that one request, once.

The token is HMAC(LINK_SECRET, "request_decision:<request id>"): only the e-mail carries it, nothing is
stored, and the request's own status makes a link act once (a decided request no longer takes answers).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy import select

from shared import linktokens
from shared.appointments import booking
from shared.appointments.views import RequestView, request_view
from shared.errors import NotFound
from shared.models import AppointmentRequest

PURPOSE = "request_decision"
ACTIONS = ("accept", "decline")
NO_LINK = "This link does not exist or is no longer valid."


def token_for(request_id: int) -> str:
    return linktokens.derive(PURPOSE, str(int(request_id)).encode())


@dataclass(frozen=True)
class Decision:
    """What the page shows the professional before they answer: their own request, in their zone."""

    professional_id: int
    user_id: int
    business_name: str
    locale: str
    request: RequestView


def get_for_decision(uow, *, request_id: int, token: str) -> Decision:
    """The request a decision link names; NotFound unless the token is that request's."""
    if not (0 < request_id <= booking.MAX_ID and isinstance(token, str) and linktokens.looks_like_token(token)
            and hmac.compare_digest(token, token_for(request_id))):
        raise NotFound(NO_LINK)
    session = uow.session
    request = session.scalar(select(AppointmentRequest).where(AppointmentRequest.id == request_id))
    if request is None:
        raise NotFound(NO_LINK)
    professional = booking.get_professional(session, request.professional_id)
    service = booking.get_service(session, professional_id=professional.id, service_id=request.service_id)
    return Decision(professional_id=professional.id, user_id=professional.user_id,
                    business_name=professional.business_name, locale=professional.settings.locale,
                    request=request_view(request, service, professional.timezone))
