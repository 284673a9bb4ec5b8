"""Locale-aware wording of dates and times (es, en), without Babel: one wording for pages and e-mails.

The names and patterns are CLDR's, as Babel's format_date "full" / "long" and format_time "short" give
them (tests/pages/test_formats.py holds them to Babel day by day and minute by minute).
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

WEEKDAYS = {
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}
NARROW_NO_BREAK_SPACE = "\u202f"


def _language(locale: str) -> str:
    return locale if locale in WEEKDAYS else "es"


def long_date(value: date, locale: str, *, weekday: bool = True) -> str:
    """"lunes, 22 de marzo de 2027" / "Monday, March 22, 2027" (without the weekday: CLDR's long date)."""
    lang = _language(locale)
    month = MONTHS[lang][value.month - 1]
    text = f"{value.day} de {month} de {value.year}" if lang == "es" else f"{month} {value.day}, {value.year}"
    return f"{WEEKDAYS[lang][value.weekday()]}, {text}" if weekday else text


def clock(value: datetime, locale: str) -> str:
    """The wall-clock time a datetime shows ("9:00" / "9:00 AM")."""
    if _language(locale) == "es":
        return f"{value.hour}:{value.minute:02d}"
    noon = "AM" if value.hour < 12 else "PM"
    return f"{value.hour % 12 or 12}:{value.minute:02d}{NARROW_NO_BREAK_SPACE}{noon}"


def to_local(moment: datetime, timezone: str) -> datetime:
    """Convert an aware datetime to wall-clock time in `timezone`; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    return moment.astimezone(ZoneInfo(timezone))


def format_date(moment: datetime, timezone: str, locale: str) -> str:
    """'lunes, 29 de marzo de 2027' / 'Monday, March 29, 2027'."""
    return long_date(to_local(moment, timezone).date(), locale)


def format_time(moment: datetime, timezone: str, locale: str) -> str:
    """'9:00' / '9:00 AM'."""
    return clock(to_local(moment, timezone), locale)


def format_datetime(moment: datetime, timezone: str, locale: str) -> str:
    """'lunes, 29 de marzo de 2027, 9:00 (Europe/Madrid)'."""
    return f"{format_date(moment, timezone, locale)}, {format_time(moment, timezone, locale)} ({timezone})"


def format_at_time(moment: datetime, timezone: str, locale: str) -> str:
    """'a las 9:00' (but 'a la 1:00') / 'at 9:00 AM', for running text."""
    local = to_local(moment, timezone)
    if _language(locale) == "en":
        return f"at {clock(local, locale)}"
    return f"{'a la' if local.hour == 1 else 'a las'} {clock(local, locale)}"
