"""The rule builder's view: the tree as nested nodes the template draws (each with its path, its field's kind,
operators and choices in words, and the problems reported at its path), and the field catalogue."""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field

from flask_babel import lazy_gettext as _l

from tenants.community.models import ACTIVITY_TYPES, CHANNELS
from tenants.segments import rules
from tenants.segments.fields import Scope

from ..labels import activity_label, channel_label
from . import words


def kind_of(scope: Scope):
    """The builder's kind and the operators of a field name (None for a field the organisation lacks)."""
    def answer(name: str):
        found = rules.field_for(name, scope)
        if found is None:
            return None
        kind = {"nps": "nps", "segment": "segment"}.get(name, found.kind)      # event fields: events, event, no_show
        return kind, tuple(found.ops)
    return answer


def catalogue(scope: Scope, labels: dict[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The fields to pick from, grouped and labelled; the organisation's custom fields last."""
    out = [(str(group), [(name, words.field_label(name)) for name in names]) for group, names in words.GROUPS]
    attrs = [(f"attr.{key}", labels.get(key, key)) for key in scope.attributes]
    if attrs:
        out.append((str(_l("Custom fields")), attrs))
    return out


@dataclass
class Node:
    path: str
    group: bool
    problems: list[str] = _field(default_factory=list)
    match: str = "all"
    negate: bool = False
    inner: str = ""                 # the group's children's path prefix (the path, or path.not)
    children: list = _field(default_factory=list)
    field: str = ""
    op: str = ""
    value: object = None
    kind: str = ""
    ops: list = _field(default_factory=list)
    choices: list = _field(default_factory=list)
    depth: int = 0


def view(tree: dict, scope: Scope, problems: list[tuple[str, str]]) -> tuple[Node, list[str]]:
    """The builder's nodes, and the problems no node took (shown above the builder)."""
    left = list(problems)
    root = _node(tree, "rules", scope, left, 0)
    return root, [words.problem(message, path) for path, message in left]


def _take(problems: list, test) -> list[str]:
    taken = [(p, m) for p, m in problems if test(p)]
    for item in taken:
        problems.remove(item)
    return [words.problem(m, p) for p, m in taken]


def _node(tree: dict, path: str, scope: Scope, problems: list, depth: int) -> Node:
    negate = isinstance(tree, dict) and set(tree) == {"not"}
    inner_tree = tree["not"] if negate else tree
    key = next((k for k in ("all", "any") if isinstance(inner_tree, dict) and isinstance(inner_tree.get(k), list)),
               None)
    if key is None:
        return _condition(tree if isinstance(tree, dict) else {}, path, scope, problems, depth)
    inner = f"{path}.not" if negate else path
    own = _take(problems, lambda p: p in (path, inner, f"{inner}.{key}"))
    node = Node(path, True, own, key, negate, inner, depth=depth)
    node.children = [_node(item, f"{inner}.{key}[{i}]", scope, problems, depth + 1)
                     for i, item in enumerate(inner_tree[key])]
    return node


def _condition(leaf: dict, path: str, scope: Scope, problems: list, depth: int) -> Node:
    name = leaf.get("field") or ""
    found = kind_of(scope)(name) if isinstance(name, str) and name else None
    node = Node(path, False, _take(problems, lambda p: p == path or p.startswith(path + ".")), field=name,
                op=leaf.get("op") or "", value=leaf.get("value"), depth=depth)
    if found:
        node.kind, ops = found
        node.ops = [(op, words.op_choice(node.kind, op)) for op in ops]
        node.choices = choices(name, scope)
    return node


def choices(name: str, scope: Scope) -> list[tuple[str, str]]:
    found = rules.field_for(name, scope)
    if name in ("activity",):
        return []
    if found is None or not found.choices:
        return []
    return [(c, words.choice_label(name, c)) for c in found.choices]


def activity_types() -> list[tuple[str, str]]:
    return [(t, activity_label(t)) for t in ACTIVITY_TYPES]


def channels() -> list[tuple[str, str]]:
    return [(c, channel_label(c)) for c in CHANNELS]
