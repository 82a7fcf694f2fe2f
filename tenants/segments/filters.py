"""The members list's filters and the dashboard's drill-downs as rules of the segment engine: the list, its
count, its export and its bulk actions read the same statement, and any of them can be saved as a segment."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from tenants.community import members
from tenants.community.members import MemberFilter, Page
from tenants.segments import service

KIND_RULES = {"all": {"field": "audience", "op": "in", "value": ["people", "staff", "bots"]},
              "staff": {"field": "audience", "op": "eq", "value": "staff"},
              "bot": {"field": "audience", "op": "eq", "value": "bots"},
              "at_risk": {"field": "at_risk", "op": "eq", "value": True}}


def _c(field: str, op: str, value) -> dict:
    return {"field": field, "op": op, "value": value}


def _window(start: date | None, end: date | None) -> dict:
    return {key: d.isoformat() for key, d in (("from", start), ("to", end)) if d}


def rule_of(f: MemberFilter) -> dict:
    """The filter as a rule: {"all": [conditions]} (people only unless the kind says otherwise)."""
    parts = []
    if f.q:
        parts.append(_c("search", "contains", f.q))
    if f.channel and f.external_id:
        parts.append(_c("identity", "eq", {"channel": f.channel, "external_id": f.external_id}))
    elif f.channel:
        parts.append(_c("channel", "eq", f.channel))
    if f.email:
        parts.append(_c("email", "eq", f.email.strip()))
    if f.tag:
        parts.append(_c("tag", "eq", f.tag))
    if f.stage:
        parts.append(_c("stage", "eq", f.stage))
    if f.kind in KIND_RULES:
        parts.append(KIND_RULES[f.kind])
    return {"all": parts + drill_down(f)}


def drill_down(f: MemberFilter) -> list[dict]:
    """The dashboard's segment of the filter (date ranges, a stage move, an NPS group) as conditions."""
    parts = []
    if f.seen_from and f.seen_to:
        parts.append(_c("first_seen", "between", [f.seen_from.isoformat(), f.seen_to.isoformat()]))
    elif f.seen_from or f.seen_to:
        parts.append(_c("first_seen", "gte" if f.seen_from else "lte", (f.seen_from or f.seen_to).isoformat()))
    active = _window(f.active_from, f.active_to)
    if active or f.activity_type:
        parts.append(_c("activity", "gte", {"count": 1, **active,
                                            **({"type": f.activity_type} if f.activity_type else {})}))
    if f.activity_channel:
        parts.append(_c("activity", "gte", {"count": 1, "channel": f.activity_channel, **active}))
    if f.quiet_from or f.quiet_to:
        parts.append(_c("activity", "eq", {"count": 0, **_window(f.quiet_from, f.quiet_to)}))
    if f.month is not None and f.to_stage:
        move = {"month": f"{f.month // 12:04d}-{f.month % 12 + 1:02d}", "to": f.to_stage}
        if f.from_stage:
            move["from"] = f.from_stage
        parts.append(_c("stage_move", "eq", move))
    if f.nps:
        parts.append(_c("nps", "eq", {"group": f.nps, **active}))
    return parts


def statement(session: Session, org_id: int, f: MemberFilter):
    return service.rule_statement(session, org_id, rule_of(f))


def page(session: Session, org_id: int, f: MemberFilter, limit: int = 50, cursor: str | None = None) -> Page:
    return members.page(session, statement(session, org_id, f), f.sort, limit, cursor)


def count(session: Session, org_id: int, f: MemberFilter) -> int:
    return service.count(session, statement(session, org_id, f))
