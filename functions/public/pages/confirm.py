"""The page a held booking's emailed link opens: it shows the booking and confirms it (POST), once."""

from __future__ import annotations

from flask import redirect

from shared.appointments import holds
from shared.db import unit_of_work
from shared.models import AppointmentStatus
from shared.pages import render, security

from ..booking import _actor, limit_token_use
from . import bp, manage

CONFIRM_PATH = "/confirm/<token>"


@bp.get(CONFIRM_PATH)
def confirm_page(token: str):
    """A held booking asks for the click that confirms it; one already confirmed goes to its page."""
    render.begin()
    limit_token_use()
    with unit_of_work() as uow:
        view, profile = manage.load(uow, token)
        if view.status != AppointmentStatus.held:
            return redirect(render.page_url(f"/manage/{token}"), code=303)
        return manage.page(view, profile, token, template="confirm.html")


@bp.post(CONFIRM_PATH)
def confirm(token: str):
    """Confirm through the API's own command, then the appointment's page (which now manages it)."""
    render.begin()
    security.check_csrf()
    limit_token_use()
    with unit_of_work() as uow:
        holds.confirm(uow, _actor(), token=token)
    return redirect(render.page_url(f"/manage/{token}", done="confirmed"), code=303)
