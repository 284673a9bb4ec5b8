"""Every string of the pages is translated, and the committed catalog matches the code and templates."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from shared.pages import catalog, i18n

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _committed(locale: str):
    with open(i18n.catalog_path(locale), "rb") as po:
        return read_po(po, locale=locale)


def test_every_message_has_a_spanish_translation_with_the_same_placeholders():
    committed = _committed("es")
    messages = [message for message in committed if message.id]
    assert len(messages) > 100
    for message in messages:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        assert not message.fuzzy, f"fuzzy: {message.id!r}"
        # Spanish has English's two plural forms: msgstr[0] renders msgid (one), msgstr[1] msgid_plural.
        for text, source in zip(strings, ids, strict=True):
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(source)), message.id


def test_the_catalog_holds_exactly_the_messages_the_pages_use():
    """`make translations` was run after the last change to a page (nothing missing, nothing stale)."""
    used = {message.id for message in catalog.extract() if message.id}
    committed = {message.id for message in _committed("es") if message.id}
    assert used - committed == set(), "run make translations and translate the new messages"
    assert committed - used == set(), "run make translations to drop messages no longer used"
