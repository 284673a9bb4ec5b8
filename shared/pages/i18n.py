"""Languages of the pages: which one a visitor gets, its translations, and dates, times and prices per locale.

English is the source language (the msgids); every other language has a catalog under
templates/pages/i18n/<locale>.po, read at start-up (no compiled files to keep in step).

Dates, times, prices and time zone names are CLDR's, as Babel formats them (format_date "full" and
"long", the skeleton "MMMEd", format_time "short", format_currency, get_timezone_name "long"), written
out here for the two languages, and the zone names kept in templates/pages/i18n/zones.json (written by
`make translations`): Babel's locale data would cost every worker of `public` about 5 MiB (make bench,
case 8). tests/pages/test_formats.py checks each of them against Babel, day by day and zone by zone.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext as gettext_module
import io
import json
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g
from markupsafe import Markup, escape

from shared.notifications import timefmt
from shared.notifications.render import templates_dir

LOCALES = ("es", "en")
DEFAULT_LOCALE = "es"

# CLDR's abbreviated names, Monday and January first (the full ones, and the full date and time that
# pages and e-mails share: timefmt).
SHORT_WEEKDAYS = {
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
SHORT_MONTHS = {
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
# Each language's name in itself.
LANGUAGE_NAMES = {"es": "Español", "en": "English"}
NO_BREAK_SPACE = "\u00a0"


def catalog_path(locale: str):
    return templates_dir() / "pages" / "i18n" / f"{locale}.po"


def zones_path():
    return templates_dir() / "pages" / "i18n" / "zones.json"


@functools.cache
def translations(locale: str) -> gettext_module.NullTranslations:
    """The gettext translations of a locale (English needs none: it is the source language)."""
    if locale == "en":
        return gettext_module.NullTranslations()
    with open(catalog_path(locale), "rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext_module.GNUTranslations(compiled)


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
    """"lunes, 22 de marzo de 2027" / "Monday, March 22, 2027" (without the weekday: CLDR's long date)."""
    return timefmt.long_date(value, current_locale(), weekday=weekday)


def short_day(value: dt.date) -> str:
    """"lun, 22 mar" / "Mon, Mar 22"."""
    locale = current_locale()
    weekday, month = SHORT_WEEKDAYS[locale][value.weekday()], SHORT_MONTHS[locale][value.month - 1]
    return f"{weekday}, {value.day} {month}" if locale == "es" else f"{weekday}, {month} {value.day}"


def time(value: dt.datetime) -> str:
    """The wall-clock time of an aware datetime in its own zone ("10:00" / "10:00 AM")."""
    return timefmt.clock(value, current_locale())


def moment(value: dt.datetime) -> str:
    """Day and time of an aware datetime in its own zone."""
    return f"{day(value.date())}, {time(value)}"


@functools.cache
def _zone_names() -> dict[str, dict[str, str]]:
    with open(zones_path(), encoding="utf-8") as names:
        return json.load(names)


def zone_label(name: str) -> str:
    """"Europe/Madrid (hora de Europa central)": the IANA name a person can type, and its local name."""
    generic = _zone_names()[current_locale()].get(name, "")
    return f"{name} ({generic})" if generic and generic != name else name


def price(amount: Decimal) -> str:
    """"1.234,50 €" / "€1,234.50": prices are kept in euros (the currency of the practices served)."""
    cents = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    sign = "-" if cents < 0 else ""
    whole, fraction = f"{abs(cents):.2f}".split(".")
    grouped = f"{int(whole):,}"
    if current_locale() == "es":
        return f"{sign}{grouped.replace(',', '.')},{fraction}{NO_BREAK_SPACE}€"
    return f"{sign}€{grouped}.{fraction}"


def language_name(locale: str) -> str:
    """A language's name in itself ("Español", "English")."""
    return LANGUAGE_NAMES.get(locale, locale)


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
