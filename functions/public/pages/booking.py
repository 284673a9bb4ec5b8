"""The professional's booking page: profile, services, a day, its free times, and the booking form."""

from __future__ import annotations

from flask import g, redirect, request

from shared.accounts import service as accounts
from shared.appointments import book as booking
from shared.appointments import schemas
from shared.appointments.views import ClientAppointmentView, ClientRequestView
from shared.db import unit_of_work
from shared.errors import Conflict
from shared.models import AppointmentStatus
from shared.pages import render, security

from ..booking import _actor, count_booking, limit_booking
from ..slots import limit_slot_lookup
from . import bp, days, forms, manage

# Form field -> the public booking body's field.
BOOKING_FIELDS = {"service_id": "service_id", "start_datetime": "start_datetime", "name": "name",
                  "email": "email", "phone": "phone", "comment": "comment"}
OPTIONAL_FIELDS = ("phone", "comment")


def _service(profile: dict, raw: str | None):
    services = profile["services"]
    if raw and raw.isdigit():
        return next((s for s in services if s.id == int(raw)), None)
    return services[0] if len(services) == 1 else None


def _page(uow, slug: str, *, service_raw: str | None, day_raw: str | None, status: int = 200,
          errors: dict | None = None, alert: str | None = None, values: dict | None = None):
    profile = accounts.public_profile(uow, slug=slug)
    settings = profile["settings"]
    render.begin(locale_default=settings.locale)
    service = _service(profile, service_raw)
    zone = g.tz_chosen or profile["timezone"]
    choice = None
    if service is not None:
        choice = days.choose(uow, slug=slug, service_id=service.id, zone=zone,
                             advance_days=settings.booking_advance_days, requested=day_raw)
    errors = dict(errors or {})
    if choice is not None and choice.day_error:
        errors.setdefault("date", forms.field_error("date"))
    if request.values.get("tz") and not g.tz_chosen:
        errors.setdefault("tz", forms.field_error("tz"))
    if errors and status == 200:
        status = 422
    return render.render(
        "book.html", status=status, frame_ancestors=list(settings.embed_origins), profile=profile,
        settings=settings, service=service,
        choice=choice, zone=zone, professional_zone=profile["timezone"], errors=errors, alert=alert,
        values=values or {}, slug=slug)


@bp.get("/book/<slug>")
def booking_page(slug: str):
    """GET only navigates: ?service=&date=&tz=&lang= choose what the page shows."""
    limit_slot_lookup()
    with unit_of_work() as uow:
        return _page(uow, slug, service_raw=request.args.get("service"), day_raw=request.args.get("date"))


@bp.post("/book/<slug>")
def book(slug: str):
    """Book the chosen free time: the API's own booking command, then the appointment's page."""
    render.begin()
    security.check_csrf()
    limit_booking(slug)
    booking_in, errors = forms.load(schemas.PublicBookingCreate, BOOKING_FIELDS, OPTIONAL_FIELDS)
    values = {name: request.form.get(name, "") for name in BOOKING_FIELDS}
    day_raw = request.form.get("date")
    if errors:
        with unit_of_work() as uow:
            return _page(uow, slug, service_raw=values["service_id"], day_raw=day_raw, status=422,
                         errors=errors, values=values)
    try:
        with unit_of_work() as uow:
            result = booking.book(uow, _actor(), booking_in, slug=slug)
    except Conflict as conflict:
        with unit_of_work() as uow:
            return _page(uow, slug, service_raw=values["service_id"], day_raw=day_raw, status=409,
                         alert=render.conflict_message(conflict.extra), values=values)
    count_booking(slug)
    if isinstance(result, ClientAppointmentView) and result.status == AppointmentStatus.held:
        # No token yet: the emailed link confirms the booking, and then manages it.
        with unit_of_work() as uow:
            profile = accounts.public_profile(uow, slug=slug)
            return render.render("held.html", view=result, profile=profile, email=booking_in["email"],
                                 zone=g.tz_chosen or result.timezone,
                                 frame_ancestors=list(profile["settings"].embed_origins))
    if isinstance(result, ClientRequestView):
        token, done = result.request_token, "requested"
    else:
        token, done = result.cancellation_token, "booked"
    if request.headers.get("Sec-Fetch-Dest") == "iframe":
        # Inside the professional's site the manage page may not be framed: answer here instead.
        with unit_of_work() as uow:
            view, profile = manage.load(uow, token)
            return manage.page(view, profile, token, status=201, done=done, framed=True)
    return redirect(render.page_url(f"/manage/{token}", done=done), code=303)
