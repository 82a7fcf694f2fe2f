"""Query and path values, checked in one place for every view.

Every request's query string passes `check_query` (before any view): a NUL or a lone surrogate (which
PostgreSQL refuses in text), an over-long value or too many parameters answer 400. Path values go through
`PathValue`, the URL map's default converter: slugs, public ids and tokens are URL-safe words, so anything
else is no page (404) and never reaches a query. Views read typed values with `integer` and `day`, which
refuse what the database or date arithmetic could not take."""
from __future__ import annotations

import re
from datetime import date

from flask import abort, request
from werkzeug.routing import BaseConverter

from tenants.core.sql import storable

_INTEGER = re.compile(r"-?[0-9]{1,19}")       # ASCII digits only: int() also reads "١٢" and "1_0"
MAX_PARAMS = 50
MAX_LENGTH = 1000           # characters of one query value (a search, a cursor)
# A rule carried by a link ("Save as segment", a dashboard drill-down): a whole JSON tree, checked by the rule
# engine (at most 40 conditions), so it may be longer than other values.
LONG_VALUES = {"rules": 16_000}
BIGINT = 2**63 - 1
# Dates a query may name (ranges, segments): wide enough for any real data, narrow enough that a day more or
# a two-year window less stays a date.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)


class PathValue(BaseConverter):
    """Slugs ([a-z0-9-]), public ids and tokens (URL-safe base64): nothing else names a page."""
    regex = r"[A-Za-z0-9_-]{1,100}"


class SignedToken(BaseConverter):
    """A signed link's token (URL-safe base64 parts joined by dots): it carries its whole request, so it is
    longer than a public id."""
    regex = r"[A-Za-z0-9_.-]{1,2000}"


def check_query() -> None:
    """Refuse a query string no view could use (400)."""
    pairs = list(request.args.items(multi=True))
    if len(pairs) > MAX_PARAMS:
        abort(400, description=f"at most {MAX_PARAMS} query parameters")
    for key, value in pairs:
        if len(key) > MAX_LENGTH or len(value) > LONG_VALUES.get(key, MAX_LENGTH):
            abort(400, description=f"query values are at most {LONG_VALUES.get(key, MAX_LENGTH)} characters")
        if not (storable(key) and storable(value)):
            abort(400, description="query values must not contain NUL characters or lone surrogates")


def integer(name: str, default: int, low: int = 0, high: int = BIGINT) -> int:
    """The integer parameter `name` (default when absent or empty); not an integer in [low, high] → 400."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not _INTEGER.fullmatch(raw) or not low <= int(raw) <= high:
        abort(400, description=f"{name} must be an integer from {low} to {high}")
    return int(raw)


def day(raw: str | None) -> date | None:
    """An ISO date between FIRST_DAY and LAST_DAY, else None (the views ignore such a filter)."""
    try:
        value = date.fromisoformat(raw or "")
    except ValueError:
        return None
    return value if FIRST_DAY <= value <= LAST_DAY else None
