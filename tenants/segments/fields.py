"""The field registry: every field a rule's condition can name, the operators each takes, how each value is
checked and how each condition compiles to a SQLAlchemy expression on `member` (bound parameters only).

Membership tests on other tables compile to `member.id IN (subquery)` sets, which PostgreSQL runs once as a
hashed semi-join, rather than to a correlated subquery per member."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, and_, exists, false, func, literal_column, not_, or_, select, true
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql.elements import ColumnElement

from tenants.community.members import NPS_GROUPS, search_ids
from tenants.community.models import ACTIVITY_TYPES, CHANNELS, Activity, Identity, Member, MemberDay, MemberMonth
from tenants.community.models import MemberTag as Tag
from tenants.core import sql
from tenants.core.days import day_of, midnight
from tenants.leaders.models import LEADER_STATUSES, Leader
from tenants.scoring import STAGES
from tenants.segments import values as v


@dataclass(frozen=True)
class InSet:
    """`member.id` in a set of member ids (a subquery), or not in it. Kept apart from plain SQL so that a
    negation anywhere above it becomes an anti-join (NOT EXISTS), never NOT IN: PostgreSQL runs NOT IN over a
    subquery as a hashed subplan only while it fits in work_mem, and row by row beyond that."""
    ids: Select
    negated: bool = False


@dataclass(frozen=True)
class AllOf:
    parts: tuple


@dataclass(frozen=True)
class AnyOf:
    parts: tuple


def to_sql(cond, negate: bool = False) -> ColumnElement:
    """A compiled condition as SQL, negated by De Morgan down to its parts: a set test becomes a semi-join or
    an anti-join; a column test x becomes NOT coalesce(x, false), so NULL (no score, say) counts as not x."""
    if isinstance(cond, InSet):
        if cond.negated != negate:
            ids = cond.ids.subquery()
            return ~exists(select(literal_column("1")).select_from(ids).where(list(ids.c)[0] == Member.id))
        return Member.id.in_(cond.ids)
    if isinstance(cond, AllOf | AnyOf):
        parts = [to_sql(p, negate) for p in cond.parts]
        if not parts:
            return false() if (isinstance(cond, AnyOf) != negate) else true()
        return and_(*parts) if isinstance(cond, AllOf) != negate else or_(*parts)
    return not_(func.coalesce(cond, false())) if negate else cond


SET_OPS = ("eq", "ne", "in", "not_in")
COMPARE_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "between")
DATE_OPS = ("gte", "lte", "gt", "lt", "between", "within_days", "not_within_days")
COUNT_OPS = ("gte", "gt", "lte", "lt", "eq", "between")
PRESENCE_OPS = ("is_set", "is_not_set")


@dataclass
class Scope:
    """What compiling a rule needs besides the rule: the organisation, today, its custom attributes
    ({key: (kind, choices)}) and a way to read a segment a rule names (for the `segment` field)."""
    org_id: int
    today: date
    attributes: dict[str, tuple[str, list]] = field(default_factory=dict)
    segment: Callable[[str], object] | None = None      # public id → (kind, rules, id) or None
    seen: tuple[str, ...] = ()                           # segments being compiled (a rule may not name itself)
    event: Callable[[str], int | None] | None = None     # an event's public id → its id in the organisation

    @property
    def today_day(self) -> int:
        return day_of(self.today)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str                                 # how the builder shows its value: enum, number, bool, date, ...
    ops: dict[str, Callable]                  # operator → value parser
    compile: Callable                         # (op, value, scope) → SQL expression
    choices: tuple[str, ...] = ()
    check: Callable | None = None             # (value, scope): what needs the organisation's data (RuleValueError)


def _compare(col, op: str, value):
    if op == "between":
        return col.between(*value)
    if op == "ne":
        return col.is_distinct_from(value)
    return {"eq": col.__eq__, "gt": col.__gt__, "gte": col.__ge__, "lt": col.__lt__, "lte": col.__le__}[op](value)


def _in_set(member_ids, op: str) -> InSet:
    """Members in (eq, in) or not in (ne, not_in) a set of member ids given as a subquery."""
    return InSet(member_ids, op not in ("eq", "in"))


def _listed(op: str, value) -> list:
    return value if isinstance(value, list) else [value]


def _set_parsers(parse) -> dict:
    return {"eq": parse, "ne": parse, "in": v.many(parse), "not_in": v.many(parse)}


def _compare_parsers(parse) -> dict:
    return {**{op: parse for op in COMPARE_OPS if op != "between"}, "between": v.pair(parse)}


def _column_enum(col):
    def compile_(op, value, scope):
        hit = col.in_(_listed(op, value))
        return hit if op in ("eq", "in") else or_(col.is_(None), ~hit)
    return compile_


def _column_compare(col):
    return lambda op, value, scope: _compare(col, op, value)


def _column_flag(col):
    return lambda op, value, scope: col.is_(value)


# --- dates: first seen, last active ------------------------------------------------------------------------

def _date_window(col, op: str, value, scope: Scope):
    if op in ("within_days", "not_within_days"):
        start = midnight(scope.today - timedelta(days=value - 1))
        return col >= start if op == "within_days" else or_(col.is_(None), col < start)
    if op == "between":
        return and_(col >= midnight(value[0]), col < midnight(value[1] + timedelta(days=1)))
    return {"gte": col >= midnight(value), "lte": col < midnight(value + timedelta(days=1)),
            "gt": col >= midnight(value + timedelta(days=1)), "lt": col < midnight(value)}[op]


def _date_parsers() -> dict:
    return {"gte": v.day, "lte": v.day, "gt": v.day, "lt": v.day, "between": v.pair(v.day),
            "within_days": v.days, "not_within_days": v.days}


def _date_field(name: str, col) -> Field:
    return Field(name, "date", _date_parsers(), lambda op, value, scope: _date_window(col, op, value, scope))


# --- activity of a type (count, in a window) -----------------------------------------------------------------

def _activity_value(value) -> dict:
    """{"type"?, "channel"?, "count", "within_days"? | "from"?/"to"?}; count is [low, high] for between."""
    v.obj(value, {"type", "channel", "count", "within_days", "from", "to"}, {"count"})
    out = {"type": v.at(v.enum(ACTIVITY_TYPES), value["type"], ".type") if value.get("type") is not None else None,
           "channel": v.at(v.enum(CHANNELS), value["channel"], ".channel") if value.get("channel") else None}
    out["within"], out["from"], out["to"] = v.window(value)
    out["count"] = value["count"]
    return out


def _activity_parser(op: str):
    count = v.pair(v.whole) if op == "between" else v.whole

    def parse(value):
        out = _activity_value(value)
        out["count"] = v.at(count, out["count"], ".count")
        return out
    return parse


def _at_least(value: dict, k: int, scope: Scope):
    """The ids of members with at least k (≥ 1) matching activities: from the daily rollup, or from the
    activity table when the channel matters (the rollup has no channel)."""
    start = scope.today - timedelta(days=value["within"] - 1) if value["within"] else value["from"]
    end = value["to"]
    if value["channel"]:
        cond = [Activity.org_id == scope.org_id, Activity.channel == value["channel"]]
        if value["type"]:
            cond.append(Activity.type == value["type"])
        if start is not None:
            cond.append(Activity.occurred_at >= midnight(start))
        if end is not None:
            cond.append(Activity.occurred_at < midnight(end + timedelta(days=1)))
        stmt = select(Activity.member_id).where(*cond)
        return stmt if k == 1 else stmt.group_by(Activity.member_id).having(func.count() >= k)
    cond = [MemberDay.org_id == scope.org_id]
    if value["type"]:
        cond.append(MemberDay.type == value["type"])
    if start is not None:
        cond.append(MemberDay.day >= day_of(start))
    if end is not None:
        cond.append(MemberDay.day <= day_of(end))
    stmt = select(MemberDay.member_id).where(*cond)
    return stmt if k == 1 else stmt.group_by(MemberDay.member_id).having(func.sum(MemberDay.n) >= k)


def _count_at_least(value: dict, k: int, scope: Scope, negated: bool = False):
    """At least k matching activities (or, negated, fewer than k); k ≤ 0 holds for everyone."""
    if k <= 0:
        return false() if negated else true()
    return InSet(_at_least(value, k, scope), negated)


def _activity(op: str, value: dict, scope: Scope) -> AllOf:
    """Every count comparison as "at least k" sets: fewer than k is NOT (at least k)."""
    k = value["count"]
    if op == "between":
        return AllOf((_count_at_least(value, k[0], scope), _count_at_least(value, k[1] + 1, scope, True)))
    low = {"gte": k, "gt": k + 1, "eq": k}.get(op)
    high = {"lte": k + 1, "lt": k, "eq": k + 1}.get(op)
    parts = []
    if low is not None:
        parts.append(_count_at_least(value, low, scope))
    if high is not None:
        parts.append(_count_at_least(value, high, scope, True))
    return AllOf(tuple(parts))


# --- NPS group of the latest answer --------------------------------------------------------------------------

def _nps_value(op: str):
    groups = tuple(NPS_GROUPS)
    one = v.enum(groups) if op in ("eq", "ne") else v.many(v.enum(groups))

    def parse(value):
        if isinstance(value, dict):
            v.obj(value, {"group", "within_days", "from", "to"}, {"group"})
            within, start, end = v.window(value)
            return {"group": v.at(one, value["group"], ".group"), "within": within, "from": start, "to": end}
        return {"group": one(value), "within": None, "from": None, "to": None}
    return parse


def _nps(op: str, value: dict, scope: Scope) -> InSet:
    answer = literal_column(sql.nps("activity.meta"))
    cond = [Activity.org_id == scope.org_id, Activity.type == "survey_answer", answer.between(0, 10)]
    if value["within"]:
        cond.append(Activity.occurred_at >= midnight(scope.today - timedelta(days=value["within"] - 1)))
    if value["from"]:
        cond.append(Activity.occurred_at >= midnight(value["from"]))
    if value["to"]:
        cond.append(Activity.occurred_at < midnight(value["to"] + timedelta(days=1)))
    latest = (select(Activity.member_id, answer.label("answer")).where(*cond).ext(distinct_on(Activity.member_id))
              .order_by(Activity.member_id, Activity.occurred_at.desc(), Activity.id.desc()).subquery())
    ranges = [latest.c.answer.between(*NPS_GROUPS[g]) for g in _listed(op, value["group"])]
    return _in_set(select(latest.c.member_id).where(or_(*ranges)), op)


# --- stage movement in a month ---------------------------------------------------------------------------------

def _stage_move_value(value) -> dict:
    v.obj(value, {"month", "from", "to"}, {"month", "to"})
    out = {"month": v.at(v.month, value["month"], ".month"), "to": v.at(v.enum(STAGES), value["to"], ".to")}
    out["from"] = v.at(v.enum((*STAGES, "none")), value["from"], ".from") if value.get("from") else None
    return out


def _stage_move(op: str, value: dict, scope: Scope) -> AllOf:
    """Stage at the end of the month is `to`; and at the end of the month before, `from` ("none": not yet a
    member; absent: any)."""
    at_end = select(MemberMonth.member_id).where(MemberMonth.org_id == scope.org_id,
                                                 MemberMonth.month == value["month"], MemberMonth.stage == value["to"])
    parts = [InSet(at_end)]
    if value["from"]:
        before = [MemberMonth.org_id == scope.org_id, MemberMonth.month == value["month"] - 1]
        if value["from"] != "none":
            before.append(MemberMonth.stage == value["from"])
        parts.append(InSet(select(MemberMonth.member_id).where(*before), value["from"] == "none"))
    return AllOf(tuple(parts))


# --- identities, tags, search ---------------------------------------------------------------------------------

def _channel(op, value, scope):
    return _in_set(select(Identity.member_id).where(Identity.org_id == scope.org_id,
                                                    Identity.channel.in_(_listed(op, value))), op)


def _tag(op, value, scope):
    return _in_set(select(Tag.member_id).where(Tag.org_id == scope.org_id, Tag.tag.in_(_listed(op, value))), op)


def _identity_value(value) -> dict:
    v.obj(value, {"channel", "external_id"}, {"channel", "external_id"})
    return {"channel": v.at(v.enum(CHANNELS), value["channel"], ".channel"),
            "external_id": v.at(v.text, value["external_id"], ".external_id")}


def _identity(op, value, scope):
    return InSet(select(Identity.member_id).where(
        Identity.org_id == scope.org_id, Identity.channel == value["channel"],
        Identity.external_id == value["external_id"]))


def _search(op, value, scope):
    return InSet(search_ids(value))


def _leader(op, value, scope):
    """Members who are opinion leaders with the status (or, for ne / not_in, who are not)."""
    return _in_set(select(Leader.member_id).where(Leader.org_id == scope.org_id,
                                                  Leader.status.in_(_listed(op, value))), op)


AUDIENCES = ("people", "staff", "bots")


def _audience(op, value, scope):
    """Who the member is to the organisation: people (neither staff nor bot), staff, bots."""
    each = {"people": and_(Member.is_staff.is_(False), Member.is_bot.is_(False)),
            "staff": Member.is_staff.is_(True), "bots": Member.is_bot.is_(True)}
    hit = or_(*(each[a] for a in _listed(op, value)))
    return hit if op in ("eq", "in") else not_(hit)


def _email(op, value, scope):
    return Member.email == value.lower()


# --- the registry ----------------------------------------------------------------------------------------------

def _number_field(name: str, col) -> Field:
    return Field(name, "number", _compare_parsers(v.number), _column_compare(col))


def _flag_field(name: str, col) -> Field:
    return Field(name, "bool", {"eq": v.boolean}, _column_flag(col))


REGISTRY: dict[str, Field] = {f.name: f for f in (
    Field("stage", "enum", _set_parsers(v.enum(STAGES)), _column_enum(Member.stage), STAGES),
    _number_field("engagement", Member.score),
    _number_field("loyalty", Member.loyalty_index),
    _number_field("influence", Member.influence),
    _number_field("followers", Member.followers),
    _flag_field("at_risk", Member.at_risk),
    Field("audience", "enum", _set_parsers(v.enum(AUDIENCES)), _audience, AUDIENCES),
    _flag_field("staff", Member.is_staff),
    _flag_field("bot", Member.is_bot),
    Field("channel", "enum", _set_parsers(v.enum(CHANNELS)), _channel, CHANNELS),
    Field("tag", "text", _set_parsers(v.text), _tag),
    _date_field("first_seen", Member.first_seen_at),
    _date_field("last_active", Member.last_active_at),
    Field("activity", "activity", {op: _activity_parser(op) for op in COUNT_OPS}, _activity),
    Field("nps", "enum", {op: _nps_value(op) for op in SET_OPS}, _nps, tuple(NPS_GROUPS)),
    Field("leader", "enum", _set_parsers(v.enum(LEADER_STATUSES)), _leader, LEADER_STATUSES),
    Field("stage_move", "stage_move", {"eq": _stage_move_value}, _stage_move),
    Field("identity", "identity", {"eq": _identity_value}, _identity),
    Field("search", "text", {"contains": v.text}, _search),
    Field("email", "text", {"eq": v.text}, _email),
)}
# The event fields build on the classes above (and are reached only through this registry).
from tenants.segments.event_fields import FIELDS as EVENT_FIELDS  # noqa: E402

REGISTRY.update(EVENT_FIELDS)
# Fields the people-only default looks for: a rule that names neither leaves staff and bots out.
PEOPLE_FIELDS = ("audience", "staff", "bot")
