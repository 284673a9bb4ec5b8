"""The pages' message catalogs: every string marked for translation, found in the code and templates.

`make translations` (python -m shared.pages.catalog) adds new messages to each catalog with an empty
translation and drops the ones no longer used; a test fails while any translation is missing. It also
writes the time zones' names in each language (CLDR's, from Babel) to templates/pages/i18n/zones.json,
which the pages read instead of Babel's locale data (see shared.pages.i18n).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from babel import dates
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from shared.pages import i18n

REPO = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
SOURCES = [
    (REPO / "shared" / "pages", [("**.py", "python")]),
    (REPO / "functions" / "public" / "pages", [("**.py", "python")]),
    (REPO / "templates" / "pages", [("**.html", "jinja2")]),
]
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "false"}


def extract() -> Catalog:
    """Every marked message, with where it is used."""
    catalog = Catalog(locale="en", project="Agenda pages", charset="utf-8")
    for root, method_map in SOURCES:
        found = extract_from_dir(str(root), method_map=method_map, keywords=KEYWORDS,
                                 options_map={"**.html": JINJA_OPTIONS}, comment_tags=())
        for filename, lineno, message, _comments, _context in found:
            catalog.add(message, locations=[(str((root / filename).relative_to(REPO)), lineno)])
    return catalog


def update(locale: str) -> Catalog:
    """The locale's catalog brought in line with the sources (translations kept)."""
    template = extract()
    path = i18n.catalog_path(locale)
    if path.exists():
        with open(path, "rb") as po:
            catalog = read_po(po, locale=locale)
    else:
        catalog = Catalog(locale=locale, project="Agenda pages", charset="utf-8")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    catalog.header_comment = f"# {locale} messages of the Agenda pages (kept current by make translations)."
    return catalog


def zone_names() -> dict[str, dict[str, str]]:
    """Each IANA zone's generic long name per language ("hora de Europa central"), where CLDR has one."""
    names: dict[str, dict[str, str]] = {}
    for locale in i18n.LOCALES:
        names[locale] = {}
        for zone in sorted(available_timezones()):
            try:
                generic = dates.get_timezone_name(ZoneInfo(zone), width="long", locale=locale)
            except (LookupError, ValueError):
                continue
            if generic and generic != zone:
                names[locale][zone] = generic
    return names


def zones_text() -> str:
    return json.dumps(zone_names(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    for locale in i18n.LOCALES:
        if locale == "en":
            continue
        catalog = update(locale)
        with open(i18n.catalog_path(locale), "wb") as po:
            write_po(po, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False)
        missing = [m.id for m in catalog if m.id and not m.string]
        print(f"{locale}: {len(catalog)} messages, {len(missing)} without a translation")
    i18n.zones_path().write_text(zones_text(), encoding="utf-8")


if __name__ == "__main__":
    main()
