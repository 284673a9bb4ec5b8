"""Marshmallow fields all domain schemas share: aware datetimes, dates, HH:MM, money, timezones, e-mail."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import zoneinfo

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

__all__ = ["AwareDateTime", "Date", "DateOrDateTime", "Decimal", "Email", "IanaTimezone", "JsonBoolean",
           "PeriodQuery", "Price", "QueryInteger", "StrictInteger", "Text", "Time", "prose"]

# RFC 3339 date-time; seconds may be left out ("09:00+02:00"), the offset is checked separately
# so a missing one gets its own message.
_DATETIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")
# Names zoneinfo may resolve from the host that are not real IANA zones.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


class AwareDateTime(fields.AwareDateTime):
    """RFC 3339 datetime that must carry a UTC offset; loads to an aware datetime, dumps ISO 8601."""

    default_error_messages = {
        "invalid": "Not a valid datetime; use RFC 3339, e.g. 2027-03-28T09:00:00+02:00.",
        "invalid_awareness": "Datetime must include a UTC offset, e.g. +02:00 or Z.",
    }

    def _deserialize(self, value, attr, data, **kwargs) -> dt.datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        match = _DATETIME.fullmatch(value)
        if match is None:
            raise self.make_error("invalid")
        offset = match["offset"]
        if offset is None:
            raise self.make_error("invalid_awareness")
        if offset in ("Z", "z"):
            offset = "+00:00"
        try:
            return dt.datetime.fromisoformat(f"{match['date']}T{match['time']}{offset}")
        except ValueError as error:
            raise self.make_error("invalid") from error


class Date(fields.Date):
    """A calendar date written YYYY-MM-DD."""

    default_error_messages = {"invalid": "Not a valid date; use YYYY-MM-DD."}

    def _deserialize(self, value, attr, data, **kwargs) -> dt.date:
        if not isinstance(value, str) or _DATE.fullmatch(value) is None:
            raise self.make_error("invalid")
        try:
            return dt.date.fromisoformat(value)
        except ValueError as error:
            raise self.make_error("invalid") from error


class Time(fields.Time):
    """A wall-clock time written HH:MM (24-hour); loads to datetime.time."""

    default_error_messages = {"invalid": "Not a valid time; use HH:MM (24-hour)."}

    def _serialize(self, value, attr, obj, **kwargs) -> str | None:
        return None if value is None else value.strftime("%H:%M")

    def _deserialize(self, value, attr, data, **kwargs) -> dt.time:
        match = _TIME.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise self.make_error("invalid")
        return dt.time(int(match[1]), int(match[2]))


class Decimal(fields.Decimal):
    """A decimal amount with a fixed number of places (2 by default), dumped as a string like "45.00"."""

    default_error_messages = {"precision": "Use at most {places} decimal places."}

    def __init__(self, places: int = 2, **kwargs):
        super().__init__(places=places, as_string=True, **kwargs)
        self._max_places = places

    def _deserialize(self, value, attr, data, **kwargs) -> decimal.Decimal:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            try:
                raw = decimal.Decimal(str(value))
            except decimal.InvalidOperation:
                raw = None
            if raw is not None and raw.is_finite() and raw.as_tuple().exponent < -self._max_places:
                raise self.make_error("precision", places=self._max_places)
        return super()._deserialize(value, attr, data, **kwargs)


class Price(Decimal):
    """A price: two decimal places, not negative, within NUMERIC(10, 2)."""

    def __init__(self, **kwargs):
        super().__init__(places=2, **kwargs)
        self.validators.insert(0, validate.Range(min=0, max=decimal.Decimal("99999999.99")))


class IanaTimezone(fields.String):
    """An IANA timezone name such as Europe/Madrid, checked against the zoneinfo database."""

    default_error_messages = {"unknown_zone": "Not a known IANA timezone, e.g. Europe/Madrid."}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        name = super()._deserialize(value, attr, data, **kwargs)
        if len(name) > 64 or name in _NOT_ZONES or _ZONE_NAME.fullmatch(name) is None:
            raise self.make_error("unknown_zone")
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as error:
            raise self.make_error("unknown_zone") from error
        return name


class Email(fields.Email):
    """An e-mail address, trimmed and lower-cased before it is checked (at most 254 characters)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.insert(0, validate.Length(max=254))

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip().lower()


# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators. A single-line field
# refuses them all: a CR/LF in a name would end up in an email header. A multi-line field takes line breaks.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BUT_NEWLINES = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


class Text(fields.String):
    """A string trimmed of surrounding whitespace; with `blank_as_none`, an empty result loads as None.

    Control characters are refused; `multiline` fields (notes, bio, description) allow line breaks only.
    """

    default_error_messages = {
        "control": "Control characters (such as line breaks or tabs) are not allowed here.",
        "control_multiline": "Control characters other than line breaks are not allowed here.",
    }

    def __init__(self, *, blank_as_none: bool = False, multiline: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.blank_as_none = blank_as_none
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if self.multiline and _CONTROL_BUT_NEWLINES.search(text):
            raise self.make_error("control_multiline")
        if not self.multiline and _CONTROL.search(text):
            raise self.make_error("control")
        return None if self.blank_as_none and not text else text

    def _validate(self, value) -> None:
        if value is not None:  # a blank that became None has nothing left to check
            super()._validate(value)


def prose(max_length: int) -> Text:
    """Optional free text over several lines (notes, bio, description, reasons); blank loads as None."""
    return Text(multiline=True, blank_as_none=True, allow_none=True, validate=validate.Length(max=max_length))


class StrictInteger(fields.Integer):
    """A JSON integer: strings, floats and booleans are refused."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class QueryInteger(fields.Integer):
    """A whole number as a query string carries it: ASCII digits only ("7"; not "7.0", "+7", " 7", "7_0")."""

    default_error_messages = {"invalid": "Give a whole number (digits only)."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not (value.isascii() and value.isdigit()):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class JsonBoolean(fields.Boolean):
    """A JSON true or false only: 0, 1 and strings are refused (0 == False would slip through a set)."""

    default_error_messages = {"invalid": "Use true or false (a JSON boolean)."}

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


# Far enough for any real booking or report, near enough that date arithmetic never overflows.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2999


class DateOrDateTime(fields.Field):
    """A bound of a period: a date (YYYY-MM-DD, a whole calendar day) or an RFC 3339 datetime."""

    default_error_messages = {
        "invalid": "Give a date (YYYY-MM-DD) or an RFC 3339 datetime with an offset.",
        "out_of_range": f"Give a date between {EARLIEST_YEAR} and {LATEST_YEAR}.",
    }

    def _deserialize(self, value, attr, data, **kwargs) -> dt.date | dt.datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        moment = Date().deserialize(value) if len(value) == 10 else AwareDateTime().deserialize(value)
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise self.make_error("out_of_range")
        return moment


class PeriodQuery(Schema):
    """?from= and ?to= bounds of a list, each a date or a datetime; `to` may not come before `from`."""

    date_from = DateOrDateTime(data_key="from")
    date_to = DateOrDateTime(data_key="to")

    @validates_schema
    def _ordered(self, data, **kwargs):
        start, end = data.get("date_from"), data.get("date_to")
        if start is not None and end is not None and type(start) is type(end) and end < start:
            raise ValidationError("`to` must not be before `from`.", "to")
