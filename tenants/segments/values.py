"""The values a rule's conditions take, parsed and checked: each parser answers the value in the form the
compiler binds, or raises RuleValueError with the part of the value that is wrong (its sub-path)."""
from __future__ import annotations

import math
import re
from datetime import date

from tenants.core import sql

MAX_LIST = 200
MAX_DAYS = 3650
MAX_COUNT = 1_000_000
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class RuleValueError(ValueError):
    """A value that does not fit: `sub` is the path below the condition's `value` ("" for the value itself)."""

    def __init__(self, message: str, sub: str = "") -> None:
        super().__init__(message)
        self.message, self.sub = message, sub


def enum(choices: tuple[str, ...]):
    def parse(value):
        if not isinstance(value, str) or value not in choices:
            raise RuleValueError("must be one of: " + ", ".join(choices))
        return value
    return parse


def text(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleValueError("must be a non-empty text")
    if len(value) > 200 or not sql.storable(value):
        raise RuleValueError("must be a text of at most 200 characters")
    return value.strip()


def number(value) -> float:
    if type(value) not in (int, float) or not math.isfinite(value) or abs(value) > 1e12:
        raise RuleValueError("must be a number")
    return float(value)


def boolean(value) -> bool:
    if type(value) is not bool:
        raise RuleValueError("must be true or false")
    return value


def whole(value, low: int = 0, high: int = MAX_COUNT) -> int:
    if type(value) is not int or not low <= value <= high:
        raise RuleValueError(f"must be a whole number from {low} to {high}")
    return value


def days(value) -> int:
    return whole(value, 1, MAX_DAYS)


def day(value) -> date:
    if not isinstance(value, str) or len(value) != 10:
        raise RuleValueError("must be a date (YYYY-MM-DD)")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise RuleValueError("must be a date (YYYY-MM-DD)") from None
    if not 2000 <= parsed.year <= 2100:
        raise RuleValueError("must be a date between 2000 and 2100")
    return parsed


def month(value) -> int:
    """A calendar month "YYYY-MM" as year * 12 + month - 1 (the member_month key)."""
    found = MONTH.match(value) if isinstance(value, str) else None
    if not found or not 1 <= int(found[2]) <= 12 or not 2000 <= int(found[1]) <= 2100:
        raise RuleValueError("must be a month (YYYY-MM)")
    return int(found[1]) * 12 + int(found[2]) - 1


def many(parse):
    """A list of 1..MAX_LIST values, each parsed; duplicates dropped."""
    def parse_list(value):
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST:
            raise RuleValueError(f"must be a list of 1 to {MAX_LIST} values")
        out = []
        for i, item in enumerate(value):
            try:
                parsed = parse(item)
            except RuleValueError as exc:
                raise RuleValueError(exc.message, f"[{i}]") from None
            if parsed not in out:
                out.append(parsed)
        return out
    return parse_list


def pair(parse):
    """[low, high], both parsed, low ≤ high (between)."""
    def parse_pair(value):
        if not isinstance(value, list) or len(value) != 2:
            raise RuleValueError("must be a list of two values [from, to]")
        low, high = (_at(parse, value[i], f"[{i}]") for i in (0, 1))
        if low > high:
            raise RuleValueError("the first value must not be greater than the second")
        return low, high
    return parse_pair


def _at(parse, value, sub: str):
    try:
        return parse(value)
    except RuleValueError as exc:
        raise RuleValueError(exc.message, sub + exc.sub) from None


def obj(value, allowed: set[str], required: set[str] = frozenset()) -> dict:
    """A JSON object with only the allowed keys and every required one."""
    if not isinstance(value, dict):
        raise RuleValueError("must be an object")
    for key in value:
        if key not in allowed:
            raise RuleValueError("is not a known key; known: " + ", ".join(sorted(allowed)), f".{key}")
    for key in sorted(required - value.keys()):
        raise RuleValueError("is required", f".{key}")
    return value


def window(value: dict) -> tuple[int | None, date | None, date | None]:
    """An object's time window: `within_days` (the last N days, today included) or `from` / `to` (dates,
    inclusive), or none (all time)."""
    within = _at(days, value["within_days"], ".within_days") if value.get("within_days") is not None else None
    start = _at(day, value["from"], ".from") if value.get("from") is not None else None
    end = _at(day, value["to"], ".to") if value.get("to") is not None else None
    if within is not None and (start or end):
        raise RuleValueError("give within_days or from/to, not both", ".within_days")
    if start and end and start > end:
        raise RuleValueError("must not be after to", ".from")
    return within, start, end


def at(parse, value, sub: str):
    """parse(value), with any error's path put under `sub`."""
    return _at(parse, value, sub)
