"""The pages' dates, times, prices and zone names are CLDR's, as Babel gives them, in both languages.

shared.pages.i18n writes them out instead of loading Babel's locale data (about 5 MiB per worker); these
tests hold them to Babel day by day, minute by minute and zone by zone.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel import Locale, dates, numbers
from flask import Flask, g

from shared.pages import catalog, i18n

REPO = catalog.REPO
MADRID, SANTIAGO = ZoneInfo("Europe/Madrid"), ZoneInfo("America/Santiago")


@pytest.fixture(params=i18n.LOCALES)
def locale(request):
    with Flask(__name__).app_context():
        g.locale = request.param
        yield request.param


def test_every_day_of_two_years_reads_as_babel_writes_it(locale):
    first = dt.date(2027, 1, 1)
    for offset in range(2 * 366):
        value = first + dt.timedelta(days=offset)
        assert i18n.day(value) == dates.format_date(value, format="full", locale=locale)
        assert i18n.day(value, weekday=False) == dates.format_date(value, format="long", locale=locale)
        assert i18n.short_day(value) == dates.format_skeleton("MMMEd", value, locale=locale)


def test_every_minute_of_a_day_reads_as_babel_writes_it_in_its_own_zone(locale):
    for zone in (MADRID, SANTIAGO):
        start = dt.datetime(2027, 3, 28, 0, 0, tzinfo=zone)
        for minute in range(24 * 60):
            value = start + dt.timedelta(minutes=minute)
            expected = dates.format_time(value, format="short", tzinfo=value.tzinfo, locale=locale)
            assert i18n.time(value) == expected, value
    value = dt.datetime(2027, 11, 2, 17, 5, tzinfo=SANTIAGO)
    assert i18n.moment(value) == f"{i18n.day(value.date())}, {i18n.time(value)}"


@pytest.mark.parametrize("amount", ["0", "0.5", "5.50", "45.5", "60", "999.99", "1000", "1234.5", "12345.67",
                                    "999999.99", "1234567.005", "0.005", "0.015", "-3", "-1234.5"])
def test_prices_read_as_babel_writes_them(locale, amount):
    assert i18n.price(Decimal(amount)) == numbers.format_currency(Decimal(amount), "EUR", locale=locale)


def test_every_zone_is_named_as_babel_names_it(locale):
    # zones.json is what `make translations` writes from Babel: it is current, and read as such.
    assert i18n.zones_path().read_text(encoding="utf-8") == catalog.zones_text()
    for zone in sorted(i18n._zones()):
        try:
            generic = dates.get_timezone_name(ZoneInfo(zone), width="long", locale=locale)
        except (LookupError, ValueError):
            generic = ""
        expected = f"{zone} ({generic})" if generic and generic != zone else zone
        assert i18n.zone_label(zone) == expected
    assert i18n.zone_label("Europe/Madrid") == {
        "es": "Europe/Madrid (hora de Europa central)", "en": "Europe/Madrid (Central European Time)"}[locale]


def test_language_names_are_written_in_themselves():
    for code in i18n.LOCALES:
        name = Locale.parse(code).get_display_name(code)
        assert i18n.language_name(code) == name[:1].upper() + name[1:]


def test_a_page_worker_never_loads_babel_locale_data():
    # Rendering pages in both languages formats dates, times, prices and zones without Babel's data.
    script = (
        "import datetime as dt, decimal, sys\n"
        "from zoneinfo import ZoneInfo\n"
        "from flask import Flask, g\n"
        "from shared.pages import i18n, render\n"
        "with Flask('x').app_context():\n"
        "    for code in i18n.LOCALES:\n"
        "        g.locale = code\n"
        "        when = dt.datetime(2027, 3, 22, 10, tzinfo=ZoneInfo('Europe/Madrid'))\n"
        "        i18n.moment(when), i18n.short_day(when.date()), i18n.price(decimal.Decimal('60'))\n"
        "        i18n.zone_label('Europe/Madrid'), i18n.language_name(code)\n"
        "        i18n.translations(code).gettext('Confirmed')\n"
        "        render.environment(code)\n"
        "import babel.localedata\n"
        "sys.exit(f'loaded: {sorted(babel.localedata._cache)}' if babel.localedata._cache else 0)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
