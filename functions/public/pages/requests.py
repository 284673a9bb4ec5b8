"""The professional's accept/decline page, opened from the "new request" e-mail: it asks, then acts once."""

from __future__ import annotations

from flask import request

from shared import errors
from shared.appointments import appointment_requests, decision_links
from shared.appointments.effects import Actor
from shared.db import unit_of_work
from shared.errors import Conflict
from shared.http import client_address, current_request_id
from shared.pages import render, security

from . import bp

DECISION_PATH = "/requests/<int:request_id>/<any('accept', 'decline'):action>/<token>"
REASON_LENGTH = 1000


def _decision(request_id: int, token: str) -> decision_links.Decision:
    render.begin()
    with unit_of_work() as uow:
        decision = decision_links.get_for_decision(uow, request_id=request_id, token=token)
    render.begin(locale_default=decision.locale)
    if decision.request.status != "pending":
        raise errors.Gone("This request has already been answered.")
    return decision


@bp.get(DECISION_PATH)
def decision_page(request_id: int, action: str, token: str):
    decision = _decision(request_id, token)
    return render.render("decide.html", decision=decision, action=action, done=False, alert=None)


@bp.post(DECISION_PATH)
def decide(request_id: int, action: str, token: str):
    """Accept or decline through the same commands as the professional's API."""
    render.begin()
    security.check_csrf()
    decision = _decision(request_id, token)
    actor = Actor(user_id=decision.user_id, ip_address=client_address(), request_id=current_request_id())
    reason = request.form.get("reason", "").strip()[:REASON_LENGTH] or None
    try:
        with unit_of_work() as uow:
            if action == "accept":
                appointment_requests.accept_request(uow, professional_id=decision.professional_id,
                                                    request_id=request_id, actor=actor)
            else:
                appointment_requests.reject_request(uow, professional_id=decision.professional_id,
                                                    request_id=request_id,
                                                    reject_in={"reason": reason} if reason else None,
                                                    actor=actor)
    except Conflict as conflict:
        decided = conflict.extra.get("current_status") not in (None, "pending")
        if conflict.extra.get("slug") == "request-decided" and decided:
            raise errors.Gone("This request has already been answered.") from None
        return render.render("decide.html", status=409, decision=decision, action=action, done=False,
                             alert=render.conflict_message(conflict.extra))
    return render.render("decide.html", decision=decision, action=action, done=True, alert=None)
