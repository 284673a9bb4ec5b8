"""The client's manage page (from the e-mailed link): see, cancel, reschedule, add to a calendar."""

from __future__ import annotations

from flask import Response, g, redirect, request

from shared.accounts import service as accounts
from shared.appointments import reschedule as rescheduling
from shared.appointments import schemas
from shared.appointments import status as appointment_status
from shared.appointments.queries import calendar_by_token, get_by_token
from shared.appointments.views import ClientRequestView
from shared.config import get_settings
from shared.db import unit_of_work
from shared.errors import Conflict, NotFound
from shared.notifications import links
from shared.pages import render, security

from ..booking import _actor, limit_token_use
from . import bp, days, forms

DONE = ("booked", "requested", "confirmed", "cancelled", "series_cancelled", "rescheduled")
# What the manage page may cancel: the appointment, or (a series' occurrence) it and the following ones.
SCOPES = ("this", "following")


def _limit() -> None:
    limit_token_use()


def load(uow, token: str):
    """The link's view and the professional's public profile (language, horizon)."""
    view = get_by_token(uow, token=token)
    profile = accounts.public_profile(uow, slug=view.professional_slug)
    render.begin(locale_default=profile["settings"].locale)
    return view, profile


def page(view, profile, token: str, *, status: int = 200, alert: str | None = None, done: str | None = None,
         framed: bool = False, template: str = "manage.html"):
    """The manage page (or another page of the link, `template`); `framed` when it answers the booking
    form inside the professional's site (there it may be framed as the booking page may, and its links
    open our site in the whole window)."""
    done = done or request.args.get("done")
    return render.render(
        template, status=status, view=view, profile=profile, token=token,
        is_request=isinstance(view, ClientRequestView), zone=g.tz_chosen or view.timezone,
        done=done if done in DONE else None, alert=alert, framed=framed,
        frame_ancestors=list(profile["settings"].embed_origins) if framed else None)


@bp.get("/manage/<token>")
def manage_page(token: str):
    render.begin()
    _limit()
    with unit_of_work() as uow:
        view, profile = load(uow, token)
        return page(view, profile, token)


@bp.post("/manage/<token>/cancel")
def cancel(token: str):
    """Cancel through the client's link (the API's command), refused inside the policy window; `scope`
    "following" cancels this and the following sessions of a series where the professional allows it."""
    render.begin()
    security.check_csrf()
    _limit()
    scope = request.form.get("scope", "this")
    scope = scope if scope in SCOPES else "this"
    try:
        with unit_of_work() as uow:
            appointment_status.cancel(uow, _actor(), token=token, scope=scope)
    except Conflict as conflict:
        with unit_of_work() as uow:
            view, profile = load(uow, token)
            return page(view, profile, token, status=409,
                        alert=render.conflict_message(conflict.extra, view.business_name))
    done = "series_cancelled" if scope == "following" else "cancelled"
    return redirect(render.page_url(f"/manage/{token}", done=done), code=303)


def _reschedule_page(uow, token: str, *, status: int = 200, alert: str | None = None,
                     errors: dict | None = None):
    view, profile = load(uow, token)
    if isinstance(view, ClientRequestView):
        raise NotFound("This link does not manage an appointment.")
    zone = g.tz_chosen or view.timezone
    choice = None
    if view.can_reschedule:
        choice = days.choose(uow, slug=view.professional_slug, service_id=view.service.id, zone=zone,
                             advance_days=profile["settings"].booking_advance_days,
                             requested=request.values.get("date"))
    errors = dict(errors or {})
    if choice is not None and choice.day_error:
        errors.setdefault("date", forms.field_error("date"))
    if errors and status == 200:
        status = 422
    return render.render("reschedule.html", status=status, view=view, profile=profile, token=token,
                         zone=zone, choice=choice, alert=alert, errors=errors)


@bp.get("/manage/<token>/reschedule")
def reschedule_page(token: str):
    render.begin()
    _limit()
    with unit_of_work() as uow:
        return _reschedule_page(uow, token)


@bp.post("/manage/<token>/reschedule")
def reschedule(token: str):
    """Move the appointment to the chosen free time (the API's command)."""
    render.begin()
    security.check_csrf()
    _limit()
    reschedule_in, errors = forms.load(schemas.PublicReschedule, {"start_datetime": "start_datetime"})
    if errors:
        with unit_of_work() as uow:
            return _reschedule_page(uow, token, status=422, errors=errors)
    try:
        with unit_of_work() as uow:
            rescheduling.reschedule(uow, _actor(), token=token, **reschedule_in)
    except Conflict as conflict:
        with unit_of_work() as uow:
            return _reschedule_page(uow, token, status=409, alert=render.conflict_message(conflict.extra))
    return redirect(render.page_url(f"/manage/{token}", done="rescheduled"), code=303)


@bp.get("/manage/<token>/appointment.ics")
def calendar_file(token: str):
    """"Add to calendar": the appointment as an .ics file."""
    render.begin()
    _limit()
    manage_url = links.manage_url(get_settings().public_base_url, token)
    with unit_of_work() as uow:
        ics = calendar_by_token(uow, token=token, manage_url=manage_url)
    return Response(ics, mimetype="text/calendar",
                    headers={"Content-Disposition": 'attachment; filename="appointment.ics"'})
