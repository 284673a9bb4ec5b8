"""Public slugs: URL-safe names for booking links, derived from a business name, unique with a suffix."""

from __future__ import annotations

import re
import unicodedata

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MIN_LENGTH = 3
MAX_LENGTH = 80
FALLBACK = "agenda"
# Room kept for a "-NNN" suffix when a derived slug collides.
_SUFFIX_ROOM = 6


def is_valid(slug: str) -> bool:
    """True for a slug the database accepts (lower-case words of letters and digits joined by dashes)."""
    return MIN_LENGTH <= len(slug) <= MAX_LENGTH and SLUG_PATTERN.match(slug) is not None


def slugify(text: str) -> str:
    """Accents stripped, lower-cased, every run of other characters turned into one dash."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[: MAX_LENGTH - _SUFFIX_ROOM].rstrip("-")
    if len(slug) < MIN_LENGTH:
        slug = f"{slug}-{FALLBACK}" if slug else FALLBACK
    return slug


def with_suffix(base: str, n: int) -> str:
    """The n-th candidate for a base slug: base, base-2, base-3, …"""
    return base if n <= 1 else f"{base[: MAX_LENGTH - len(str(n)) - 1].rstrip('-')}-{n}"
