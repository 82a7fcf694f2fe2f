"""Rules: a segment's condition tree, checked against the field registry and compiled to one SQL query.

    {"all": [node, ...]}   every node holds        {"any": [node, ...]}   at least one holds
    {"not": node}          the node does not hold  {"field", "op", "value"} a condition (see fields.REGISTRY)

A rule that names neither `staff` nor `bot` counts people only. Checking collects every problem with the
path of the bad part (`rules.all[1].op`), so an editor can show each beside its condition."""
from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Select, and_, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from tenants.community.members import live_members
from tenants.community.models import Member
from tenants.segments.attributes import attribute_field
from tenants.segments.fields import PEOPLE_FIELDS, REGISTRY, AllOf, AnyOf, Field, InSet, Scope, to_sql
from tenants.segments.models import SegmentMember
from tenants.segments.values import RuleValueError
from tenants.segments.values import many as _many

MAX_DEPTH = 6
MAX_CONDITIONS = 40
GROUPS = ("all", "any")
ROOT = "rules"


class RuleError(ValueError):
    """A rule that cannot be used: `problems` are (path, message) pairs, the first one in `path`/`message`."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        self.path, self.message = problems[0]
        super().__init__(f"{self.path}: {self.message}")


@dataclass(frozen=True)
class Leaf:
    path: str
    field: str
    op: str
    value: object


@dataclass(frozen=True)
class Group:
    path: str
    kind: str                 # all | any | not
    children: tuple


def field_for(name: str, scope: Scope) -> Field | None:
    if isinstance(name, str) and name.startswith("attr."):
        found = scope.attributes.get(name[5:])
        return attribute_field(name[5:], *found) if found else None
    if name == "segment":
        return _segment_field()
    return REGISTRY.get(name) if isinstance(name, str) else None


def check(tree, scope: Scope) -> Group | Leaf:
    """The rule, checked and with its values parsed; RuleError lists every problem."""
    problems: list[tuple[str, str]] = []
    counter = [0]
    node = _node(tree, ROOT, 0, scope, problems, counter)
    if counter[0] > MAX_CONDITIONS:
        problems.append((ROOT, f"has more than {MAX_CONDITIONS} conditions"))
    if problems:
        raise RuleError(problems)
    return node


def _node(tree, path: str, depth: int, scope: Scope, problems: list, counter: list):
    if not isinstance(tree, dict):
        problems.append((path, "must be an object: a group (all, any, not) or a condition (field, op, value)"))
        return None
    if depth > MAX_DEPTH:
        problems.append((path, f"nests deeper than {MAX_DEPTH} levels"))
        return None
    groups = [k for k in (*GROUPS, "not") if k in tree]
    if groups:
        if len(tree) != 1:
            problems.append((path, "a group has exactly one key: all, any or not"))
            return None
        kind = groups[0]
        if kind == "not":
            child = _node(tree["not"], f"{path}.not", depth + 1, scope, problems, counter)
            return Group(path, "not", (child,))
        items = tree[kind]
        if not isinstance(items, list) or (kind == "any" and not items):
            problems.append((f"{path}.{kind}", "must be a list" + (" of at least one node" if kind == "any" else "")))
            return None
        children = tuple(_node(item, f"{path}.{kind}[{i}]", depth + 1, scope, problems, counter)
                         for i, item in enumerate(items))
        return Group(path, kind, children)
    counter[0] += 1
    return _condition(tree, path, scope, problems)


def _condition(tree: dict, path: str, scope: Scope, problems: list) -> Leaf | None:
    extra = sorted(set(tree) - {"field", "op", "value"})
    if extra:
        problems.append((f"{path}.{extra[0]}", "is not a known key; a condition has field, op and value"))
        return None
    name = tree.get("field")
    found = field_for(name, scope)
    if found is None:
        problems.append((f"{path}.field", "is not a known field" if name else "is required"))
        return None
    op = tree.get("op")
    if op not in found.ops:
        problems.append((f"{path}.op", f"does not fit the field {name}; it takes: " + ", ".join(found.ops)))
        return None
    try:
        value = found.ops[op](tree.get("value"))
        if name == "segment":
            _check_segments(value, scope)
        elif found.check is not None:
            found.check(value, scope)
    except RuleValueError as exc:
        problems.append((f"{path}.value{exc.sub}", exc.message))
        return None
    return Leaf(path, name, op, value)


def compile_rule(node: Group | Leaf, scope: Scope, negate: bool = False) -> ColumnElement:
    """The rule as one SQL condition on `member`; a `not` is pushed down to the conditions (fields.to_sql)."""
    if isinstance(node, Leaf):
        return to_sql(field_for(node.field, scope).compile(node.op, node.value, scope), negate)
    if node.kind == "not":
        return compile_rule(node.children[0], scope, not negate)
    parts = [compile_rule(child, scope, negate) for child in node.children]
    if not parts:
        return false() if negate else true()
    return and_(*parts) if (node.kind == "all") != negate else or_(*parts)


def names_people(node: Group | Leaf) -> bool:
    """Whether the rule says anything about staff or bots (otherwise it counts people only)."""
    return any(leaf.field in PEOPLE_FIELDS for leaf in leaves(node))


def leaves(node: Group | Leaf) -> list[Leaf]:
    if isinstance(node, Leaf):
        return [node]
    return [leaf for child in node.children for leaf in leaves(child)]


def where(node: Group | Leaf, scope: Scope) -> ColumnElement:
    """The whole condition on `member`: the organisation, live members, people only unless the rule says
    otherwise, and the rule."""
    parts = [Member.org_id == scope.org_id, compile_rule(node, scope)]
    if not names_people(node):
        parts += [Member.is_staff.is_(False), Member.is_bot.is_(False)]
    return and_(*parts)


def members(node: Group | Leaf, scope: Scope) -> Select:
    """select(Member) of the rule's members, unordered."""
    return live_members().where(where(node, scope))


# --- the `segment` field: members of another segment -----------------------------------------------------------

def _segment_field() -> Field:
    ids = _many(_public_id)
    return Field("segment", "segment", {"in": ids, "not_in": ids}, _segment_compile)


def _public_id(value) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 16 or not value.replace("-", "").replace("_", "").isalnum():
        raise RuleValueError("must be a segment id")
    return value


def _check_segments(ids: list[str], scope: Scope) -> None:
    for i, public in enumerate(ids):
        if public in scope.seen:
            raise RuleValueError("a segment cannot include itself", f"[{i}]")
        found = scope.segment(public) if scope.segment else None
        if found is None:
            raise RuleValueError("is not a segment of this organisation", f"[{i}]")
        kind, rules, _ = found
        if kind == "dynamic":
            check(rules, _inner(scope, public))


def _inner(scope: Scope, public: str) -> Scope:
    return replace(scope, seen=(*scope.seen, public))


def _segment_compile(op: str, value: list[str], scope: Scope) -> AnyOf | AllOf:
    sets = []
    for public in value:
        found = scope.segment(public) if scope.segment else None
        if found is None:       # deleted since the rule was checked: nobody is in it
            sets.append(InSet(select(Member.id).where(false()), op == "not_in"))
            continue
        kind, rules, segment_id = found
        if kind == "static":
            ids = select(SegmentMember.member_id).where(SegmentMember.segment_id == segment_id)
        else:
            inner = _inner(scope, public)
            ids = select(Member.id).where(where(check(rules, inner), inner))
        sets.append(InSet(ids, op == "not_in"))
    return AnyOf(tuple(sets)) if op == "in" else AllOf(tuple(sets))
