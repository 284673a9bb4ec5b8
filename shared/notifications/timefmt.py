"""Locale-aware wording of dates and times in a named IANA timezone (es, en), without babel.

The day and month names are CLDR's (the pages use them too: shared.pages.i18n).
"""

from datetime import datetime
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


def to_local(moment: datetime, timezone: str) -> datetime:
    """Convert an aware datetime to wall-clock time in `timezone`; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    return moment.astimezone(ZoneInfo(timezone))


def format_date(moment: datetime, timezone: str, locale: str) -> str:
    """'lunes, 29 de marzo de 2027' / 'Monday, 29 March 2027'."""
    local = to_local(moment, timezone)
    lang = locale if locale in WEEKDAYS else "es"
    weekday, month = WEEKDAYS[lang][local.weekday()], MONTHS[lang][local.month - 1]
    if lang == "es":
        return f"{weekday}, {local.day} de {month} de {local.year}"
    return f"{weekday}, {local.day} {month} {local.year}"


def format_time(moment: datetime, timezone: str) -> str:
    """24-hour wall-clock time, '09:00'."""
    return to_local(moment, timezone).strftime("%H:%M")


def format_datetime(moment: datetime, timezone: str, locale: str) -> str:
    """'lunes, 29 de marzo de 2027, 09:00 (Europe/Madrid)'."""
    return f"{format_date(moment, timezone, locale)}, {format_time(moment, timezone)} ({timezone})"


def format_at_time(moment: datetime, timezone: str, locale: str) -> str:
    """'a las 09:00' (but 'a la 01:00') / 'at 09:00', for running text."""
    local = to_local(moment, timezone)
    if locale == "en":
        return f"at {local:%H:%M}"
    return f"{'a la' if local.hour == 1 else 'a las'} {local:%H:%M}"
