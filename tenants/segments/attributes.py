"""Custom attributes as rule fields: `attr.<key>`, typed by the organisation's custom field (text, number,
date, choice), with "is filled in" / "is empty" besides the kind's own operators."""
from __future__ import annotations

from sqlalchemy import Numeric, case, func

from tenants.community.models import Member
from tenants.segments import values as v
from tenants.segments.fields import (
    PRESENCE_OPS,
    Field,
    _column_enum,
    _compare,
    _compare_parsers,
    _date_parsers,
    _set_parsers,
)


def attribute_field(key: str, kind: str, choices: list) -> Field:
    """The field `attr.<key>`, typed by the attribute's kind (text, number, date, choice)."""
    raw = Member.attributes[key]
    as_text = raw.astext
    presence = {op: _absent for op in PRESENCE_OPS}
    if kind == "number":
        col = case((func.jsonb_typeof(raw) == "number", as_text.cast(Numeric)))
        return Field(f"attr.{key}", "number", {**_compare_parsers(v.number), **presence},
                     _with_presence(as_text, lambda op, value, scope: _compare(col, op, value)))
    if kind == "date":
        parsers = {op: p for op, p in _date_parsers().items() if op not in ("within_days", "not_within_days")}
        return Field(f"attr.{key}", "date", {**parsers, **presence},
                     _with_presence(as_text, lambda op, value, scope: _iso_compare(as_text, op, value)))
    if kind == "choice":
        return Field(f"attr.{key}", "enum", {**_set_parsers(v.enum(tuple(choices))), **presence},
                     _with_presence(as_text, _column_enum(as_text)), tuple(choices))
    return Field(f"attr.{key}", "text", {**_set_parsers(v.text), "contains": v.text, **presence},
                 _with_presence(as_text, _text_compile(as_text)))


def _absent(value):
    if value is not None:
        raise v.RuleValueError("takes no value")
    return None


def _with_presence(col, compile_):
    def compiled(op, value, scope):
        if op in PRESENCE_OPS:
            return col.isnot(None) if op == "is_set" else col.is_(None)
        return compile_(op, value, scope)
    return compiled


def _text_compile(col):
    def compile_(op, value, scope):
        if op == "contains":
            return func.lower(col).contains(value.lower(), autoescape=True)
        return _column_enum(col)(op, value, scope)
    return compile_


def _iso_compare(col, op: str, value):
    """Dates kept as ISO text compare as text."""
    if op == "between":
        return col.between(value[0].isoformat(), value[1].isoformat())
    return _compare(col, op, value.isoformat())
