"""Rendering a page: one Jinja environment per language, the shared context, error pages."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from flask import Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from shared import errors
from shared.http.problems import handle_exception
from shared.notifications.render import templates_dir
from shared.pages import i18n, security

# Page paths: anything under them that fails is answered with a page, never problem+json.
PAGE_PREFIXES = ("/book/", "/confirm/", "/manage/", "/reset-password", "/verify-email", "/requests/",
                 "/assets/")


@functools.cache
def environment(locale: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "pages")),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)
    env.globals.update(
        day=i18n.day, short_day=i18n.short_day, time=i18n.time, moment=i18n.moment, price=i18n.price,
        zone_label=i18n.zone_label, zone_info=ZoneInfo, status_label=i18n.status_label,
        language_name=i18n.language_name, locales=i18n.LOCALES,
        csrf_field=security.CSRF_FIELD, csrf_token=security.csrf_token, page_url=page_url)
    return env


def begin(*, locale_default: str | None = None) -> None:
    """Choose the visitor's language and time zone for this request (?lang=, ?tz= or hidden fields)."""
    values = request.form if request.method == "POST" else request.args
    g.locale = i18n.negotiate(values.get("lang"), request.accept_languages, locale_default)
    g.lang_chosen = values.get("lang") in i18n.LOCALES
    g.tz_chosen = i18n.zone_or_none(values.get("tz"))


def page_url(path: str, **params: Any) -> str:
    """A link to another page keeping the visitor's explicit language and time zone choices."""
    query = {}
    if g.get("lang_chosen"):
        query["lang"] = g.locale
    if g.get("tz_chosen"):
        query["tz"] = g.tz_chosen
    query.update({k: v for k, v in params.items() if v is not None})
    return f"{path}?{urlencode(query)}" if query else path


def render(template: str, *, status: int = 200, frame_ancestors: list[str] | None = None,
           **context: Any) -> Response:
    locale = i18n.current_locale()
    switch = {code: _switch_url(code) for code in i18n.LOCALES}
    html = environment(locale).get_template(template).render(
        locale=locale, language_switch=switch, tz_chosen=g.get("tz_chosen"), **context)
    response = current_app.response_class(html, status=status, mimetype="text/html")
    response.headers["Content-Language"] = locale
    return security.protect(response, frame_ancestors=frame_ancestors)


def _switch_url(code: str) -> str:
    # The same page in another language: GET pages keep their query; after a POST, the page itself.
    args = request.args.to_dict() if request.method == "GET" else {}
    args["lang"] = code
    if g.get("tz_chosen"):
        args.setdefault("tz", g.tz_chosen)
    return f"{request.path}?{urlencode(args)}"


# Errors

NO_LINK_STATUSES = (404, 410)


def error_page(exc: Exception) -> Response:
    """The status (and Retry-After/Allow) the API would give, as a plain page in the visitor's language."""
    if "locale" not in g:
        begin()
    problem = handle_exception(exc)  # the one map from exceptions to statuses (and the log of a 500)
    status = 410 if isinstance(exc, errors.LinkExpired) else problem.status_code
    extra = getattr(exc, "extra", None) or {}
    response = render("message.html", status=status, title=_title(status),
                      message=_message(status, exc, extra), retry_after=problem.headers.get("Retry-After"))
    for header in ("Retry-After", "Allow"):
        if header in problem.headers:
            response.headers[header] = problem.headers[header]
    return response


def is_page_path(path: str) -> bool:
    return path.startswith(PAGE_PREFIXES) or path in ("/book", "/manage")


def _title(status: int) -> str:
    _ = i18n.gettext
    titles = {
        400: _("This request cannot be understood"),
        403: _("This form has expired"),
        404: _("Page not found"),
        405: _("This page cannot be used that way"),
        409: _("That cannot be done now"),
        410: _("This link is no longer valid"),
        422: _("Some information is not valid"),
        429: _("Too many attempts"),
        503: _("Temporarily unavailable"),
    }
    return titles.get(status, _("Something went wrong"))


def _message(status: int, exc: Exception, extra: dict) -> str:
    _ = i18n.gettext
    if status == 404:
        return _("This page or link does not exist. Check that you copied the whole link from the email.")
    if status == 410:
        return _("This link has expired or has already been used.")
    if status == 403:
        return _("Go back, reload the page and try again.")
    if status == 429:
        return _("Please wait a minute and try again.")
    if status == 409:
        return conflict_message(extra)
    if status == 503:
        return _("A service this page needs is not reachable. Try again in a few seconds.")
    if status in (400, 405, 422):
        return _("Go back and check the page you came from.")
    reference = g.get("request_id") or ""
    return _("An unexpected error occurred. If it happens again, quote this reference: %(reference)s",
             reference=reference)


def conflict_message(extra: dict, business_name: str = "") -> str:
    """A domain conflict told in the visitor's language (its problem slug says which one)."""
    _ = i18n.gettext
    slug = extra.get("slug")
    if slug == "slot-unavailable":
        return _("That time is no longer available; please choose another one.")
    if slug == "too-many-pending-bookings":
        return _("You already have several upcoming bookings or requests here, the most allowed online. "
                 "Cancel one, or contact the professional directly.")
    if slug == "cancellation-window-passed":
        hours = int(extra.get("cancellation_policy_hours") or 0)
        if hours:
            return i18n.ngettext(
                "Changes are possible up to %(num)d hour before the start; please contact the "
                "professional directly.",
                "Changes are possible up to %(num)d hours before the start; please contact the "
                "professional directly.", hours)
        return _("Changes are possible until the start; please contact the professional directly.")
    if slug == "request-decided":
        return _("This request has already been answered.")
    if slug == "series-cancel-not-allowed":
        return _("%(name)s takes cancellations of one appointment at a time here; please contact them to "
                 "cancel the series.", name=business_name or _("the professional"))
    if slug == "invalid-status-change":
        return _("This appointment can no longer be changed.")
    return _("That cannot be done now; reload the page to see the current state.")


def handle_http(exc: HTTPException) -> Response:
    """Unknown paths and methods: a page under the page paths, problem+json elsewhere."""
    if is_page_path(request.path):
        return error_page(exc)
    return handle_exception(exc)
