"""Public slugs: URL-safe names for booking links, derived from a business name, unique with a suffix.

A slug, once a professional's, stays theirs (public_slugs, kept by a trigger): their old links keep
reaching them after a change and nobody else can take it. Words that would pass for the platform's own
pages are reserved.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import and_, select

from shared.models import Professional, PublicSlug, User

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MIN_LENGTH = 3
MAX_LENGTH = 80
FALLBACK = "agenda"
# Room kept for a "-NNN" suffix when a derived slug collides.
_SUFFIX_ROOM = 6
# Pages of the platform itself, or names that would pass for them in a link or an email.
RESERVED = frozenset({
    "about", "account", "accounts", "admin", "administrator", "agenda", "api", "app", "appointments",
    "assets", "auth", "billing", "blog", "book", "booking", "bookings", "cdn", "contact", "dashboard",
    "docs", "help", "home", "info", "legal", "login", "logout", "mail", "manage", "me", "metrics",
    "no-reply", "noreply", "official", "openapi", "postmaster", "privacy", "professionals", "public",
    "register", "reset-password", "root", "security", "settings", "signup", "static", "status",
    "support", "system", "terms", "verify-email", "webmaster", "www",
})
# What a slug that is (or was) another professional's violates: professionals' own unique slug, or the
# public_slugs key (the database's keep_public_slug trigger records every slug a professional takes).
TAKEN_CONSTRAINTS = ("uq_professionals_public_slug", "pk_public_slugs")


def is_reserved(slug: str) -> bool:
    """True for a slug kept for the platform's own pages."""
    return slug in RESERVED


def is_valid(slug: str) -> bool:
    """True for a slug the database accepts (lower-case words of letters and digits joined by dashes)."""
    return MIN_LENGTH <= len(slug) <= MAX_LENGTH and SLUG_PATTERN.match(slug) is not None


def slugify(text: str) -> str:
    """Accents stripped, lower-cased, every run of other characters turned into one dash."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[: MAX_LENGTH - _SUFFIX_ROOM].rstrip("-")
    if len(slug) < MIN_LENGTH or is_reserved(slug):
        slug = f"{slug}-{FALLBACK}" if slug else FALLBACK
    return slug


def with_suffix(base: str, n: int) -> str:
    """The n-th candidate for a base slug: base, base-2, base-3, …"""
    return base if n <= 1 else f"{base[: MAX_LENGTH - len(str(n)) - 1].rstrip('-')}-{n}"


def public_page(slug):
    """The condition (on Professional joined with its User) for the page a slug names: any slug the
    professional has had, an active account, and an email address its owner has verified."""
    owned_by = select(PublicSlug.professional_id).where(PublicSlug.slug == slug).scalar_subquery()
    return and_(Professional.id == owned_by, Professional.is_active.is_(True), User.is_active.is_(True),
                User.email_verified_at.is_not(None))
