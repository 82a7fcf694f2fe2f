"""The rule builder's form and the rule's JSON tree, both ways. Pure functions: no request, no database.

The builder names every input by the path of its part in the tree (`rules.all[1].field`,
`rules.all[2].not.any[0].value[1]`), so a problem `check()` reports at a path is shown beside the input of that
path. Each group carries `<slot>.match` (all / any) and `<slot>.negate`; a condition carries `.field`, `.op`,
`.was` (the field it was rendered for: a new field starts with its own operator and no value) and its value
inputs. The tree is rebuilt from positions (which child of which group), not from the all/any words in the
names, so switching a group between all and any keeps its children."""
from __future__ import annotations

import re
from collections.abc import Callable

ROOT = "rules"
MAX_STEPS = 8           # deeper names than the engine allows (rules.MAX_DEPTH) are not read
MAX_NODES = 120
_STEP = re.compile(r"\.(?:(all|any)\[(\d{1,3})\]|not)")
_TAIL = re.compile(r"^\.(match|negate|field|op|was|value)(.*)$")

Kind = Callable[[str], tuple[str, tuple[str, ...]] | None]     # field name → (kind, ops) or None


def _split(name: str) -> tuple[tuple[int, ...], str, str] | None:
    """`rules.all[1].any[0].value[1]` → ((1, 0), "value", "[1]"); None for a name that is not a builder path."""
    if not name.startswith(ROOT):
        return None
    rest, position, steps = name[len(ROOT):], [], 0
    while (step := _STEP.match(rest)) is not None:
        steps += 1
        if steps > MAX_STEPS:
            return None
        if step.group(2) is not None:
            position.append(int(step.group(2)))
        rest = rest[step.end():]
    tail = _TAIL.match(rest)
    return (tuple(position), tail.group(1), tail.group(2)) if tail else None


def tree_from_form(form, kind_of: Kind) -> dict:
    """The rule tree the builder's inputs describe. `form` has .getlist(name) and iterates over names (a
    werkzeug MultiDict); `kind_of` answers a field's kind and operators. Values are coerced by the field's kind
    as far as they can be; what cannot be is passed on as typed, for check() to name."""
    nodes: dict[tuple[int, ...], dict[str, list]] = {}
    for name in form:
        split = _split(name)
        if split is None:
            continue
        position, attr, sub = split
        if position not in nodes and len(nodes) >= MAX_NODES:
            continue
        nodes.setdefault(position, {})[attr + sub] = [v for v in form.getlist(name)]
    return _node((), nodes, kind_of) or {"all": []}


def _node(position: tuple[int, ...], nodes: dict, kind_of: Kind) -> dict | None:
    attrs = nodes.get(position, {})
    if "field" in attrs:
        return _condition(attrs, kind_of)
    children = sorted({p[len(position)] for p in nodes if len(p) > len(position) and p[:len(position)] == position})
    if not attrs and not children and position:
        return None
    match = _first(attrs, "match")
    group = {match if match in ("all", "any") else "all":
             [c for c in (_node((*position, i), nodes, kind_of) for i in children) if c is not None]}
    return {"not": group} if _first(attrs, "negate") in ("on", "true", "1") else group


def _first(attrs: dict, key: str, default=None):
    values = attrs.get(key) or []
    return values[0] if values else default


def _condition(attrs: dict, kind_of: Kind) -> dict:
    field = (_first(attrs, "field") or "").strip()
    known = kind_of(field) if field else None
    op = _first(attrs, "op") or ""
    if known is None:
        return {"field": field, "op": op, "value": None}
    kind, ops = known
    if _first(attrs, "was") != field or op not in ops:       # a new field: its first operator, no value yet
        return {"field": field, "op": ops[0], "value": default_value(kind, ops[0])}
    return {"field": field, "op": op, "value": _value(attrs, kind, op)}


def default_value(kind: str, op: str):
    if op in ("is_set", "is_not_set"):
        return None
    if kind == "bool":
        return True
    if kind in ("activity", "events"):
        return {"count": [1, 5] if op == "between" else 1, "within_days": 30 if kind == "activity" else 365}
    if kind == "no_show":
        return {"within_days": 90}
    return None


# --- values by kind ---------------------------------------------------------------------------------------------

def _value(attrs: dict, kind: str, op: str):
    one = lambda sub="": _first(attrs, "value" + sub)        # noqa: E731
    many = lambda sub="": [v for v in attrs.get("value" + sub, []) if v != ""]     # noqa: E731
    if op in ("is_set", "is_not_set"):
        return None
    if kind == "bool":
        return one() in ("on", "true", "1")
    if kind == "activity":
        return _activity(attrs, op)
    if kind == "events":
        return {k: val for k, val in _activity(attrs, op).items() if k not in ("type", "channel")}
    if kind == "event":
        return many()
    if kind == "no_show":
        return _drop_empty({"event": one(".event") or None, "within_days": _whole(one(".within_days"))}, keep=())
    if kind == "stage_move":
        return _drop_empty({"month": one(".month") or None, "from": one(".from") or None, "to": one(".to") or None},
                           keep=("month", "to"))
    if kind == "identity":
        return {"channel": one(".channel") or None, "external_id": one(".external_id") or None}
    if kind == "nps":
        group = many(".group") if op in ("in", "not_in") else (one(".group") or None)
        within = _whole(one(".within_days"))
        return group if within in (None, "") else {"group": group, "within_days": within}
    scalar = _whole if op in ("within_days", "not_within_days") else _SCALARS.get(kind, _text)
    if op == "between":
        return [scalar(one("[0]")), scalar(one("[1]"))]
    if op in ("in", "not_in"):
        values = many() if kind in ("enum", "segment") else _split_list(one())
        return [scalar(v) for v in values]
    return scalar(_single(attrs))


def _single(attrs: dict):
    """The value of a one-value operator, also when the inputs still have the shape of another operator
    (a list, or the first of a pair)."""
    for key in ("value", "value[0]"):
        values = [v for v in attrs.get(key, []) if v != ""]
        if values:
            return values[0]
    return None


def _activity(attrs: dict, op: str) -> dict:
    one = lambda sub: _first(attrs, "value" + sub)        # noqa: E731
    count = [_whole(one(".count[0]") or one(".count")), _whole(one(".count[1]"))] if op == "between" \
        else _whole(one(".count") or one(".count[0]"))
    out = {"type": one(".type") or None, "channel": one(".channel") or None, "count": count,
           "within_days": _whole(one(".within_days")), "from": one(".from") or None, "to": one(".to") or None}
    return _drop_empty(out, keep=("count",))


def _drop_empty(value: dict, keep: tuple[str, ...]) -> dict:
    return {k: v for k, v in value.items() if k in keep or v not in (None, "")}


def _number(raw):
    """A number as typed; what is not one stays text (check() says it must be a number)."""
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip().replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return raw
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


def _whole(raw):
    value = _number(raw)
    return value if value is None or isinstance(value, int) else raw


def _text(raw):
    return None if raw is None or str(raw).strip() == "" else str(raw).strip()


def _split_list(raw) -> list[str]:
    return [part.strip() for part in str(raw or "").split(",") if part.strip()]


_SCALARS = {"number": _number, "date": _text, "text": _text, "enum": _text, "segment": _text}


# --- structural edits -------------------------------------------------------------------------------------------

def position_of(path: str) -> tuple[int, ...] | None:
    """The position a builder path names (`rules.all[2].not.any[0]` → (2, 0)), None if it names none."""
    split = _split((path or "") + ".field")
    return split[0] if split else None


def _group_at(tree: dict, position: tuple[int, ...]) -> dict | None:
    """The group (its {all|any: [...]} dict, inside any not) at a position."""
    node = tree
    for i in position:
        items = _items(node)
        if items is None or not 0 <= i < len(items):
            return None
        node = items[i]
    return node.get("not", node) if isinstance(node, dict) else None


def _items(node) -> list | None:
    if not isinstance(node, dict):
        return None
    inner = node.get("not", node)
    if not isinstance(inner, dict):
        return None
    for key in ("all", "any"):
        if isinstance(inner.get(key), list):
            return inner[key]
    return None


def edit(tree: dict, action: str, path: str) -> dict:
    """The tree after a builder button: `add` a blank condition or `group` (a group with one blank condition)
    to the group at `path`, or `remove` the node at `path`. A path that names nothing changes nothing."""
    position = position_of(path)
    if position is None:
        return tree
    if action in ("add", "group"):
        group = _group_at(tree, position)
        items = _items(group) if group is not None else None
        if items is not None and len(position) < MAX_STEPS - 2:
            blank = {"field": "", "op": "", "value": None}
            items.append(blank if action == "add" else {"all": [dict(blank)]})
    elif action == "remove" and position:
        parent = _items(_group_at(tree, position[:-1]) or {})
        if parent is not None and 0 <= position[-1] < len(parent):
            parent.pop(position[-1])
    return tree


# --- a tree from elsewhere (a link, a saved segment) in the builder's shape ---------------------------------------

def normalize(tree) -> tuple[dict, list[tuple[str, str]]]:
    """Any rule as the builder shows it: the root a group, every `not` on a group (a negated condition becomes a
    negated group of one, a double negation none). Parts the builder cannot show become blank conditions, with
    a problem at their path."""
    problems: list[tuple[str, str]] = []
    return _group_slot(tree, ROOT, problems, 0, root=True), problems


def _group_slot(tree, path: str, problems: list, depth: int, root: bool = False) -> dict:
    negate = False
    while isinstance(tree, dict) and set(tree) == {"not"}:
        negate, tree = not negate, tree["not"]
    inner = f"{path}.not" if negate else path
    if _is_group(tree):
        key = next(iter(tree))
        group = {key: [_child(item, f"{inner}.{key}[{i}]", problems, depth + 1) for i, item in
                       enumerate(tree[key][:MAX_NODES])]}
    elif negate or root:
        group = {"all": [_child(tree, f"{inner}.all[0]", problems, depth + 1)]}
    else:
        return _child(tree, path, problems, depth)
    return {"not": group} if negate else group


def _is_group(tree) -> bool:
    return isinstance(tree, dict) and len(tree) == 1 and next(iter(tree)) in ("all", "any") \
        and isinstance(next(iter(tree.values())), list)


def _child(tree, path: str, problems: list, depth: int) -> dict:
    if isinstance(tree, dict) and ("field" in tree or "op" in tree) and set(tree) <= {"field", "op", "value"}:
        return {"field": tree.get("field") if isinstance(tree.get("field"), str) else "",
                "op": tree.get("op") if isinstance(tree.get("op"), str) else "", "value": tree.get("value")}
    if depth < MAX_STEPS - 2 and isinstance(tree, dict) and (set(tree) == {"not"} or _is_group(tree)):
        return _group_slot(tree, path, problems, depth)
    problems.append((path, "must be a group (all, any, not) or a condition (field, op, value)"))
    return {"field": "", "op": "", "value": None}
