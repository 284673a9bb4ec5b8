"""Languages of the pages: which one a visitor gets, its translations, and dates, times and prices per locale.

English is the source language (the msgids); every other language has a catalog under
templates/pages/i18n/<locale>.po, read at start-up (no compiled files to keep in step).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, dates, numbers, support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g
from markupsafe import Markup, escape

from shared.notifications.render import templates_dir

LOCALES = ("es", "en")
DEFAULT_LOCALE = "es"
# Prices are kept in euros (the currency of the practices the product serves).
CURRENCY = "EUR"


def catalog_path(locale: str):
    return templates_dir() / "pages" / "i18n" / f"{locale}.po"


@functools.cache
def translations(locale: str) -> support.NullTranslations:
    """The gettext translations of a locale (English needs none: it is the source language)."""
    if locale == "en":
        return support.NullTranslations()
    with open(catalog_path(locale), "rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return support.Translations(compiled)


def negotiate(requested: str | None, accept_language, default: str | None) -> str:
    """An explicit choice (?lang=), else the browser's preference among ours, else the professional's."""
    if requested in LOCALES:
        return requested
    best = accept_language.best_match(LOCALES) if accept_language else None
    if best:
        return best
    return default if default in LOCALES else DEFAULT_LOCALE


def current_locale() -> str:
    return g.get("locale") or DEFAULT_LOCALE


def gettext(message: str, **variables) -> str:
    """The message in the visitor's language, with %(name)s placeholders filled in."""
    text = translations(current_locale()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables) -> str:
    text = translations(current_locale()).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def markup(message: str, **variables) -> Markup:
    """A translated message whose variables are escaped (for messages that wrap them in markup)."""
    return Markup(gettext(message)) % {k: escape(v) for k, v in variables.items()}


# Formatting


def zone_or_none(name: str | None) -> str | None:
    """The IANA zone name if it names one, else None."""
    if not name or len(name) > 64 or name not in _zones():
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def day(value: dt.date, *, weekday: bool = True) -> str:
    """"lunes, 22 de marzo de 2027" / "Monday, March 22, 2027"."""
    return dates.format_date(value, format="full" if weekday else "long", locale=current_locale())


def short_day(value: dt.date) -> str:
    """"lun, 22 mar" / "Mon, Mar 22"."""
    return dates.format_skeleton("MMMEd", value, locale=current_locale())


def time(value: dt.datetime) -> str:
    """The wall-clock time of an aware datetime in its own zone ("10:00" / "10:00 AM")."""
    return dates.format_time(value, format="short", tzinfo=value.tzinfo, locale=current_locale())


def moment(value: dt.datetime) -> str:
    """Day and time of an aware datetime in its own zone."""
    return f"{day(value.date())}, {time(value)}"


def zone_label(name: str) -> str:
    """"Europe/Madrid (hora de Europa central)": the IANA name a person can type, and its local name."""
    try:
        generic = dates.get_timezone_name(ZoneInfo(name), width="long", locale=current_locale())
    except (LookupError, ValueError):
        generic = ""
    return f"{name} ({generic})" if generic and generic != name else name


def price(amount: Decimal) -> str:
    return numbers.format_currency(amount, CURRENCY, locale=current_locale())


def language_name(locale: str) -> str:
    """A language's name in itself ("español", "English")."""
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


def status_label(status: str, *, request: bool = False) -> str:
    """An appointment's (or request's) status in the visitor's words."""
    _ = gettext
    if request:
        labels = {"pending": _("Waiting for an answer"), "accepted": _("Accepted"),
                  "rejected": _("Declined"), "expired": _("Expired without an answer")}
    else:
        labels = {"pending": _("Awaiting confirmation"), "confirmed": _("Confirmed"),
                  "completed": _("Completed"), "cancelled_by_client": _("Cancelled by you"),
                  "cancelled_by_professional": _("Cancelled by the professional"),
                  "held": _("Waiting for you to confirm it from your email"),
                  "expired": _("Not confirmed in time")}
    return labels.get(status, status)
