"""The shared marshmallow fields: what they accept, what they refuse, and how they write values back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from marshmallow import Schema, ValidationError

from shared import fields


class Sample(Schema):
    at = fields.AwareDateTime()
    day = fields.Date()
    time = fields.Time()
    amount = fields.Decimal()
    price = fields.Price()
    timezone = fields.IanaTimezone()
    email = fields.Email()


def load_one(name: str, value):
    return Sample().load({name: value})[name]


def error_of(name: str, value) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Sample().load({name: value})
    return caught.value.messages[name]


@pytest.mark.parametrize("text, expected", [
    ("2027-03-28T09:00:00+02:00", dt.datetime(2027, 3, 28, 7, tzinfo=dt.UTC)),
    ("2027-03-28T07:00:00Z", dt.datetime(2027, 3, 28, 7, tzinfo=dt.UTC)),
    ("2027-03-28t07:00:00z", dt.datetime(2027, 3, 28, 7, tzinfo=dt.UTC)),
    ("2027-03-28 07:00+00:00", dt.datetime(2027, 3, 28, 7, tzinfo=dt.UTC)),
    ("2027-03-28T02:00:00.5-05:00", dt.datetime(2027, 3, 28, 7, 0, 0, 500000, tzinfo=dt.UTC)),
])
def test_aware_datetime_loads_rfc3339_with_offset(text, expected):
    loaded = load_one("at", text)
    assert loaded.tzinfo is not None
    assert loaded == expected


@pytest.mark.parametrize("text", ["2027-03-28T09:00:00", "2027-03-28T09:00"])
def test_aware_datetime_refuses_a_naive_datetime(text):
    assert "must include a UTC offset" in error_of("at", text)[0]


@pytest.mark.parametrize("value", ["2027-03-28", "28/03/2027 09:00+02:00", "2027-02-30T09:00:00Z",
                                   "2027-03-28T25:00:00Z", "2027-03-28T09:00:00+24:00", "20270328T0900Z",
                                   "", 1774688400, None])
def test_aware_datetime_refuses_what_is_not_rfc3339(value):
    assert error_of("at", value)


def test_aware_datetime_dumps_iso_with_offset():
    moment = dt.datetime(2027, 3, 28, 9, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert Sample().dump({"at": moment}) == {"at": "2027-03-28T09:00:00+02:00"}


def test_date_accepts_only_yyyy_mm_dd():
    assert load_one("day", "2027-03-28") == dt.date(2027, 3, 28)
    for bad in ("20270328", "2027-W13-1", "2027-3-28", "2027-02-30", "28-03-2027"):
        assert error_of("day", bad)


def test_time_is_hh_mm_both_ways():
    assert load_one("time", "09:30") == dt.time(9, 30)
    assert load_one("time", "23:59") == dt.time(23, 59)
    assert Sample().dump({"time": dt.time(9, 5, 33)}) == {"time": "09:05"}
    for bad in ("9:30", "24:00", "09:60", "09:30:00", "0930", "", 930):
        assert error_of("time", bad)


@pytest.mark.parametrize("value, expected", [("45", "45.00"), ("45.5", "45.50"), (45.1, "45.10"), (0, "0.00"),
                                             ("-3.25", "-3.25")])
def test_decimal_keeps_two_places_and_dumps_a_string(value, expected):
    loaded = load_one("amount", value)
    assert loaded == Decimal(expected)
    assert Sample().dump({"amount": loaded}) == {"amount": expected}


@pytest.mark.parametrize("value", ["45.005", "abc", "NaN", "Infinity", True, ""])
def test_decimal_refuses_more_places_or_non_numbers(value):
    assert error_of("amount", value)


def test_price_must_not_be_negative_or_beyond_numeric_10_2():
    assert load_one("price", "99999999.99") == Decimal("99999999.99")
    assert error_of("price", "-0.01")
    assert error_of("price", "100000000.00")


@pytest.mark.parametrize("name", ["Europe/Madrid", "America/Argentina/Buenos_Aires", "UTC", "Etc/GMT+3"])
def test_iana_timezone_accepts_real_zones(name):
    assert load_one("timezone", name) == name


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "/etc/passwd", "../../etc/passwd", "Europe/../UTC",
                                  "localtime", "europe madrid", "x" * 65, 5])
def test_iana_timezone_refuses_unknown_names_and_paths(name):
    assert error_of("timezone", name)


def test_email_is_trimmed_and_lower_cased():
    assert load_one("email", "  Ana.Perez@Example.COM ") == "ana.perez@example.com"


@pytest.mark.parametrize("value", ["not-an-email", "ana@", "@example.com", "a" * 250 + "@example.com", ""])
def test_email_refuses_invalid_or_too_long_addresses(value):
    assert error_of("email", value)


@pytest.mark.parametrize("text", ["Ana\r\nLópez", "Ana\tLópez", "Ana\x00López", "Ana\x1b[31m", "Ana\x7fLópez",
                                  "Ana\x85López", "Ana\u2028López", "Ana\u2029López"])
def test_a_single_line_text_refuses_every_control_character(text):
    with pytest.raises(ValidationError):
        fields.Text().deserialize(text)
    with pytest.raises(ValidationError):
        fields.prose(100).deserialize(text.replace("\r\n", "\x0b").replace("\t", "\x0c"))


def test_a_multi_line_text_keeps_its_line_breaks_and_other_text_is_untouched():
    assert fields.prose(100).deserialize(" one\r\ntwo\nthree ") == "one\r\ntwo\nthree"
    assert fields.Text().deserialize(" Ana López 😀 ‍ ") == "Ana López 😀 ‍"
