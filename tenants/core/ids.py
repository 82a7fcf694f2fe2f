"""Public identifiers: URLs never carry sequential ids."""
from __future__ import annotations

import hashlib
import secrets

from slugify import slugify as _slugify

# Top-level and agency-level path words a slug must not shadow.
RESERVED_AGENCY_SLUGS = frozenset({
    "login", "logout", "signup", "static", "healthz", "api", "account", "invite", "password",
    "lang", "admin", "app", "www", "help", "docs", "billing", "webhooks", "new", "settings",
    "e", "t", "s",      # the public event pages: registration, ticket, survey
    "r",                # a report's share page
    "brand",            # a logo by its token
})
RESERVED_ORG_SLUGS = frozenset({
    "people", "audit", "orgs", "jobs", "settings", "new", "invitations", "billing", "api", "static",
    "branding",
})


def public_id() -> str:
    """A short random id for URLs (72 bits)."""
    return secrets.token_urlsafe(9)


def new_token() -> str:
    """A secret for links sent by mail; only its hash is stored."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def slugify(name: str, reserved: frozenset[str] = frozenset()) -> str:
    """URL slug from a name; Cyrillic is transliterated. Reserved words get a suffix."""
    slug = _slugify(name, max_length=48, word_boundary=True) or "org"
    if slug in reserved:
        slug = f"{slug}-1"
    return slug


def unique_slug(name: str, reserved: frozenset[str], taken) -> str:
    """slugify(name), with -2, -3, … appended while `taken(slug)` says it is in use."""
    base = slugify(name, reserved)
    slug, n = base, 1
    while taken(slug):
        n += 1
        slug = f"{base}-{n}"
    return slug
