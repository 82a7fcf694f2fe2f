"""Segment fields on events (the fields registry imports these):

  events_attended     attended at least / at most / … N events ({"count", "within_days"? | "from"?/"to"?}, by
                      the events' start), like `activity`
  attended_event      attended any of (in) or none of (not_in) some events of the organisation (public ids)
  registered_no_show  registered for an event that has ended and did not come: {"event": public id} or any
                      event in a window ({"within_days"} or {"from"/"to"}; nothing: any event); walk-ins and
                      cancelled or waitlisted registrations are not no-shows
Each compiles to member-id sets over `registration` joined to `event` (bound parameters only)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tenants.core.days import midnight
from tenants.events.models import Event, Registration
from tenants.segments import values as v
from tenants.segments.fields import COUNT_OPS, AllOf, Field, InSet, Scope


def _public_id(value) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 16 or not value.replace("-", "").replace("_", "").isalnum():
        raise v.RuleValueError("must be an event id")
    return value


def _check_events(ids: list[str], scope: Scope, sub: str = "") -> None:
    for i, public in enumerate(ids):
        if scope.event is None or scope.event(public) is None:
            raise v.RuleValueError("is not an event of this organisation", sub or f"[{i}]")


def _window(stmt, value: dict, scope: Scope):
    """Events that started within the value's window (the last N days, today included; or from / to)."""
    start = scope.today - timedelta(days=value["within"] - 1) if value["within"] else value["from"]
    if start is not None:
        stmt = stmt.where(Event.starts_at >= midnight(start))
    if value["to"] is not None:
        stmt = stmt.where(Event.starts_at < midnight(value["to"] + timedelta(days=1)))
    return stmt


def _registrations(scope: Scope):
    return (select(Registration.member_id).join(Event, Event.id == Registration.event_id)
            .where(Registration.org_id == scope.org_id, Event.org_id == scope.org_id))


# --- attended at least N events ---------------------------------------------------------------------------------

def _count_parser(op: str):
    count = v.pair(v.whole) if op == "between" else v.whole

    def parse(value):
        v.obj(value, {"count", "within_days", "from", "to"}, {"count"})
        within, start, end = v.window(value)
        return {"count": v.at(count, value["count"], ".count"), "within": within, "from": start, "to": end}
    return parse


def _at_least(value: dict, k: int, scope: Scope, negated: bool = False):
    if k <= 0:
        return InSet(select(Registration.member_id).where(Registration.id.is_(None)), not negated)
    stmt = _window(_registrations(scope).where(Registration.checked_in_at.is_not(None)), value, scope)
    stmt = stmt if k == 1 else stmt.group_by(Registration.member_id).having(func.count() >= k)
    return InSet(stmt, negated)


def _events_attended(op: str, value: dict, scope: Scope) -> AllOf:
    """Every comparison as "at least k" sets: fewer than k is NOT (at least k)."""
    k = value["count"]
    if op == "between":
        return AllOf((_at_least(value, k[0], scope), _at_least(value, k[1] + 1, scope, True)))
    low = {"gte": k, "gt": k + 1, "eq": k}.get(op)
    high = {"lte": k + 1, "lt": k, "eq": k + 1}.get(op)
    parts = [_at_least(value, low, scope)] if low is not None else []
    if high is not None:
        parts.append(_at_least(value, high, scope, True))
    return AllOf(tuple(parts))


# --- attended one of some events ---------------------------------------------------------------------------------

def _attended_event(op: str, value: list[str], scope: Scope) -> InSet:
    stmt = _registrations(scope).where(Registration.checked_in_at.is_not(None), Event.public_id.in_(value))
    return InSet(stmt, op == "not_in")


# --- registered and did not come --------------------------------------------------------------------------------

def _no_show_value(value) -> dict:
    v.obj(value, {"event", "within_days", "from", "to"})
    within, start, end = v.window(value)
    event = v.at(_public_id, value["event"], ".event") if value.get("event") is not None else None
    if event and (within or start or end):
        raise v.RuleValueError("give an event or a time window, not both", ".event")
    return {"event": event, "within": within, "from": start, "to": end}


def _check_no_show(value: dict, scope: Scope) -> None:
    if value["event"]:
        _check_events([value["event"]], scope, ".event")


def _no_show(op: str, value: dict, scope: Scope) -> InSet:
    """Registrations (registered, not a walk-in, never checked in) of events that ended by today's end."""
    stmt = _registrations(scope).where(
        Registration.status == "registered", Registration.walk_in.is_(False), Registration.checked_in_at.is_(None),
        Event.ends_at <= func.now(), Event.ends_at < midnight(scope.today + timedelta(days=1)))
    stmt = stmt.where(Event.public_id == value["event"]) if value["event"] else _window(stmt, value, scope)
    return InSet(stmt)


_IDS = v.many(_public_id)
FIELDS = {f.name: f for f in (
    Field("events_attended", "events", {op: _count_parser(op) for op in COUNT_OPS}, _events_attended),
    Field("attended_event", "event", {"in": _IDS, "not_in": _IDS}, _attended_event,
          check=lambda value, scope: _check_events(value, scope)),
    Field("registered_no_show", "no_show", {"eq": _no_show_value}, _no_show, check=_check_no_show),
)}
