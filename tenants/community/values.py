"""The checks every stored value passes, whatever path brings it (the API, CSV and Telegram imports, member
files, the demo): text within its column and free of NUL and lone surrogates, numbers finite and within their
range, moments within the sane window, JSON documents bounded in depth and size. A refused value raises
`ItemError` naming the field and the rule; nothing here truncates or repairs silently.

Lengths and integer ranges come from the models' columns (`limit`, `INT_MAX`), so the checks cannot drift
from the schema."""
from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column
from sqlalchemy.orm import InstrumentedAttribute

from tenants.core.base import utcnow
from tenants.core.errors import DomainError
from tenants.core.sql import UNSTORABLE

INT_MAX = 2**31 - 1                 # PostgreSQL integer
JSON_INT_MAX = 2**53                # integers a JSON reader anywhere keeps exactly
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)           # clocks differ; a day ahead is the most a moment may be


class ItemError(DomainError):
    """One activity (or row) is invalid. `str(exc)` is the English sentence (API clients, CSV downloads);
    `template` and `params` (strings) let a page show it in the reader's language."""

    def __init__(self, template: str, **params) -> None:
        super().__init__(template, **{k: str(v) for k, v in params.items()})


def limit(column: InstrumentedAttribute | Column) -> int:
    """The length of a String column: the longest text it stores."""
    return (column.expression if isinstance(column, InstrumentedAttribute) else column).type.length


def unstorable(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None."""
    found = UNSTORABLE.search(value)
    if found is None:
        return None
    return "NUL" if found.group() == "\x00" else "surrogate"


def text(value, name: str, most: int, required: bool = True) -> str | None:
    """A stripped string (a whole number is taken as its digits) of at most `most` characters; '' is None."""
    if value is None or value == "":
        if required:
            raise ItemError("%(field)s is required", field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ItemError("%(field)s must be a string", field=name)
    if isinstance(value, int) and abs(value) > JSON_INT_MAX:
        raise ItemError("%(field)s is longer than %(limit)s characters", field=name, limit=most)
    value = str(value).strip()
    _storable(value, name)
    if required and not value:
        raise ItemError("%(field)s is required", field=name)
    if len(value) > most:
        raise ItemError("%(field)s is longer than %(limit)s characters", field=name, limit=most)
    return value or None


def _storable(value: str, name: str) -> None:
    why = unstorable(value)
    if why == "NUL":
        raise ItemError("%(field)s contains a NUL character", field=name)
    if why:
        raise ItemError("%(field)s contains an invalid character (a lone surrogate)", field=name)


def number(value, name: str, low: float, high: float) -> float:
    """A finite number from `low` to `high` (a JSON number, or text with a point or a comma)."""
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", ".").replace(" ", "").replace("\u00a0", ""))
        except ValueError:
            raise ItemError("%(field)s must be a number from %(low)s to %(high)s", field=name, low=_n(low),
                            high=_n(high)) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not low <= value <= high:
        raise ItemError("%(field)s must be a number from %(low)s to %(high)s", field=name, low=_n(low),
                        high=_n(high))
    return float(value)


def whole(value, name: str, low: int = 0, high: int = INT_MAX) -> int:
    """A whole number from `low` to `high` (text may group digits with spaces)."""
    raw = value
    if isinstance(value, str):
        digits = re.sub(r"[\s\u00a0]", "", value)
        if not re.fullmatch(r"[+-]?\d{1,20}", digits):
            raise ItemError("%(field)s %(value)s is not a whole number", field=name, value=repr(raw[:40]))
        value = int(digits)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ItemError("%(field)s %(value)s is not a whole number", field=name, value=repr(raw)[:40])
    if not low <= value <= high:
        raise ItemError("%(field)s must be a whole number from %(low)s to %(high)s", field=name, low=low, high=high)
    return value


def moment(value: datetime, name: str) -> datetime:
    """An aware moment in UTC, from 2000 on and at most a day ahead of now."""
    if value.tzinfo is None:
        raise ItemError("%(field)s needs a time zone (e.g. 2026-05-01T10:00:00Z)", field=name)
    try:
        value = value.astimezone(UTC)
    except OverflowError:           # 0001-01-01 or 9999-12-31 with an offset
        if value.year > 2000:
            raise ItemError("%(field)s is in the future", field=name) from None
        raise ItemError("%(field)s is before 2000", field=name) from None
    if value > utcnow() + AHEAD:
        raise ItemError("%(field)s is in the future", field=name)
    if value < EARLIEST:
        raise ItemError("%(field)s is before 2000", field=name)
    return value


def document(value, name: str, max_bytes: int, max_depth: int) -> dict:
    """A JSON object that PostgreSQL's jsonb stores as given: no NaN or Infinity, integers a JSON reader keeps,
    no NUL or lone surrogate in a key or a string, at most `max_depth` levels and `max_bytes` bytes."""
    if not isinstance(value, dict):
        raise ItemError("%(field)s must be an object", field=name)
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise ItemError("%(field)s is nested deeper than %(limit)s levels", field=name, limit=max_depth)
        children = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in children:
            if isinstance(node, dict):
                if not isinstance(key, str):
                    raise ItemError("%(field)s must be an object", field=name)
                _storable(key, name)
            _json_leaf(child, name, depth, stack)
    encoded = json.dumps(value, ensure_ascii=False, allow_nan=False)
    if len(encoded.encode()) > max_bytes:
        raise ItemError("%(field)s is larger than %(limit)s bytes", field=name, limit=max_bytes)
    return value


def _json_leaf(child, name: str, depth: int, stack: list) -> None:
    if isinstance(child, dict | list):
        stack.append((child, depth + 1))
    elif isinstance(child, str):
        _storable(child, name)
    elif isinstance(child, float) and not math.isfinite(child):
        raise ItemError("%(field)s contains a number that is not finite (NaN or Infinity)", field=name)
    elif isinstance(child, int) and not isinstance(child, bool) and abs(child) > JSON_INT_MAX:
        raise ItemError("%(field)s contains an integer beyond 2^53", field=name)
    elif child is not None and not isinstance(child, bool | int | float):
        raise ItemError("%(field)s must be an object", field=name)


def printable(value: str, most: int | None = None) -> str:
    """Text as it can be stored and shown whatever it holds (a rejected row's cells): NUL and lone surrogates
    written as escapes, cut to `most` characters."""
    if UNSTORABLE.search(value):
        value = value.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
    return value[:most] if most else value


def _n(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
