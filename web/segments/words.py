"""The segment engine in words: field and operator labels for the builder, starter segments' texts, the rule's
problems translated, and a rule (or one condition of it) described in a sentence."""
from __future__ import annotations

import re

from flask_babel import format_date, gettext, ngettext, pgettext
from flask_babel import lazy_gettext as _l

from tenants.segments.values import day as parse_day

from ..labels import LEADER_STATUSES, activity_label, channel_label, stage_label

FIELDS = {
    "stage": _l("Loyalty stage"), "engagement": _l("Engagement score"), "loyalty": _l("Loyalty index"),
    "at_risk": _l("At risk"), "stage_move": _l("Stage change in a month"), "nps": _l("NPS group"),
    "activity": _l("Activity"), "last_active": _l("Last active"), "first_seen": _l("First seen"),
    "channel": _l("Has an identity on"), "tag": _l("Tag"), "influence": _l("Influence"),
    "followers": _l("Followers"), "audience": _l("Who"), "staff": _l("Staff"), "bot": _l("Bot"),
    "identity": _l("Identity"), "search": _l("Name, handle, email or phone"), "email": _l("Email"),
    "segment": _l("Segment"), "leader": _l("Opinion leader status"),
    "events_attended": _l("Events attended"), "attended_event": _l("Attended the event"),
    "registered_no_show": _l("Registered, did not come"),
}
GROUPS = [
    (_l("Loyalty"), ("stage", "engagement", "loyalty", "at_risk", "stage_move", "nps")),
    (_l("Activity"), ("activity", "last_active", "first_seen")),
    (_l("Events"), ("events_attended", "attended_event", "registered_no_show")),
    (_l("Profile"), ("channel", "tag", "influence", "followers", "search", "email", "identity")),
    (_l("Who"), ("audience", "staff", "bot", "leader")),
    (_l("Segments"), ("segment",)),
]
OPS = {
    "eq": _l("is"), "ne": _l("is not"), "in": _l("is any of"), "not_in": _l("is none of"),
    "gt": _l("more than"), "gte": _l("at least"), "lt": _l("less than"), "lte": _l("at most"),
    "between": _l("between"), "within_days": _l("in the last … days"),
    "not_within_days": _l("not in the last … days"), "contains": _l("contains"), "is_set": _l("is filled in"),
    "is_not_set": _l("is empty"),
}
DATE_OPS = {"gt": _l("after"), "gte": _l("on or after"), "lt": _l("before"), "lte": _l("on or before")}
COUNT_OPS = {"gt": _l("more than"), "gte": _l("at least"), "lt": _l("fewer than"), "lte": _l("at most"),
             "eq": _l("exactly"), "between": _l("between")}
AUDIENCES = {"people": _l("People"), "staff": _l("Staff"), "bots": _l("Bots")}
NPS = {"promoter": _l("Promoters"), "passive": _l("Passives"), "detractor": _l("Detractors")}
# Starter segments (tenants.segments.starters.STARTERS): shown translated while their text is the original.
STARTERS = {
    "new_active": (_l("New and active"),
                   _l("Joined in the last 30 days and already active: welcome them and show them around.")),
    "slipping_away": (_l("Slipping away"), _l("Were active, quiet for 30 days: reach out before they leave.")),
    "silent_loyal": (_l("Silent loyal"),
                     _l("Loyal, write little, read and react: give them easy ways to take part.")),
    "advocates": (_l("Advocates"), _l("Recommend the brand: turn them into evangelists.")),
    "at_risk": (_l("At risk"), _l("Loyal members going quiet: contact them personally.")),
}


def field_label(name: str, attributes: dict | None = None) -> str:
    if name.startswith("attr."):
        return (attributes or {}).get(name[5:], name[5:])
    return str(FIELDS.get(name, name))


def op_label(kind: str, op: str) -> str:
    if kind == "date" and op in DATE_OPS:
        return str(DATE_OPS[op])
    if kind in ("activity", "events") and op in COUNT_OPS:
        return str(COUNT_OPS[op])
    return str(OPS.get(op, op))


def op_choice(kind: str, op: str) -> str:
    """An operator as a choice in the builder's list, where a sentence's "is" (Russian: a dash) reads badly."""
    if op == "eq" and kind not in ("activity", "date"):
        return pgettext("rule operator in a list", "is")
    if op == "ne":
        return pgettext("rule operator in a list", "is not")
    return op_label(kind, op)


def choice_label(field: str, value) -> str:
    value = str(value)
    if field in ("stage",) or field == "stage_move":
        return stage_label(value) if value != "none" else gettext("not yet a member")
    if field in ("channel",):
        return channel_label(value)
    if field == "audience":
        return str(AUDIENCES.get(value, value))
    if field == "nps":
        return str(NPS.get(value, value))
    if field == "leader":
        return str(LEADER_STATUSES.get(value, value))
    return value


def starter_text(segment) -> tuple[str, str]:
    """The segment's name and description, translated while a starter's text is still the original."""
    from tenants.segments.starters import STARTERS as ORIGINAL
    name, description = segment.name, segment.description
    if segment.starter in STARTERS and segment.starter in ORIGINAL:
        original = ORIGINAL[segment.starter]
        if name == original[0]:
            name = str(STARTERS[segment.starter][0])
        if description == original[1]:
            description = str(STARTERS[segment.starter][1])
    return name, description


# --- problems -------------------------------------------------------------------------------------------------

_PROBLEMS = [
    (r"is required", _l("is required")),
    (r"is not a known field", _l("choose a field")),
    (r"does not fit the field .*", _l("choose an operator this field takes")),
    (r"must be a number", _l("enter a number")),
    (r"must be a whole number from (\d+) to (\d+)", _l("enter a whole number from %(1)s to %(2)s")),
    (r"must be a date between 2000 and 2100", _l("enter a date between 2000 and 2100")),
    (r"must be a date \(YYYY-MM-DD\)", _l("enter a date")),
    (r"must be a month \(YYYY-MM\)", _l("enter a month")),
    (r"must be a list of .*", _l("choose at least one value")),
    (r"must be a list of two values .*", _l("enter both values")),
    (r"the first value must not be greater than the second", _l("the first value must not be greater than the second")),
    (r"must be a non-empty text", _l("enter a text")),
    (r"must be a text of at most 200 characters", _l("enter at most 200 characters")),
    (r"must be one of: .*", _l("choose one of the listed values")),
    (r"must be true or false", _l("must be yes or no")),
    (r"give within_days or from/to, not both", _l("give a number of days or dates, not both")),
    (r"must not be after to", _l("the start must not be after the end")),
    (r"a segment cannot include itself", _l("a segment cannot include itself")),
    (r"is not a segment of this organisation", _l("choose a segment of this organisation")),
    (r"has more than (\d+) conditions", _l("a rule has at most %(1)s conditions")),
    (r"nests deeper than (\d+) levels", _l("groups nest at most %(1)s levels deep")),
    (r"must be a list of at least one node", _l("a group needs at least one condition")),
    (r"must be a group .*", _l("this part of the rule could not be read")),
    (r"must be an object.*", _l("this part of the rule could not be read")),
    (r"a group has exactly one key.*", _l("this part of the rule could not be read")),
    (r"is not a known key.*", _l("this part of the rule could not be read")),
    (r"takes no value", _l("takes no value")),
    (r"must be an event id", _l("choose an event")),
    (r"is not an event of this organisation", _l("choose an event of this organisation")),
    (r"give an event or a time window, not both", _l("give an event or a number of days, not both")),
]


def problem(message: str, path: str = "") -> str:
    """A rule problem in the reader's language (the engine words them in English for the API); a missing part
    is named by its place in the condition, since "is required" alone does not say what is."""
    if message == "is required" and path:
        return gettext("choose a field") if path.endswith(".field") else gettext("fill in a value")
    for pattern, template in _PROBLEMS:
        found = re.fullmatch(pattern, message)
        if found:
            params = {str(i + 1): g for i, g in enumerate(found.groups())}
            return str(template) % params if params else str(template)
    return message


# --- a rule in words --------------------------------------------------------------------------------------------

def _date(value) -> str:
    try:
        return format_date(parse_day(value), "medium")
    except ValueError:
        return str(value)


def _days(n) -> str:
    return ngettext("in the last %(num)s day", "in the last %(num)s days", n) if isinstance(n, int) \
        else str(n)


def _window(value: dict) -> str:
    if value.get("within_days"):
        return " " + _days(value["within_days"])
    if value.get("from") or value.get("to"):
        return " " + gettext("from %(start)s to %(end)s", start=_date(value["from"]) if value.get("from") else "…",
                             end=_date(value["to"]) if value.get("to") else "…")
    return ""


def _values(field: str, value, names: dict) -> str:
    items = value if isinstance(value, list) else [value]
    if field in ("segment", "attended_event"):
        return ", ".join(f"“{names.get(v, v)}”" for v in items)
    return ", ".join(choice_label(field, v) for v in items)


def describe(leaf: dict, names: dict | None = None, attributes: dict | None = None) -> str:
    """One condition in a sentence: "Loyalty stage is Loyal", "Message: at least 3 in the last 30 days"."""
    names = names or {}
    field, op, value = leaf.get("field") or "", leaf.get("op") or "", leaf.get("value")
    label = field_label(field, attributes)
    try:
        if field == "activity" and isinstance(value, dict):
            return _describe_activity(op, value)
        if field == "events_attended" and isinstance(value, dict):
            return f"{label}: {_count(op, value.get('count'))}{_window(value)}"
        if field == "registered_no_show" and isinstance(value, dict):
            which = f"“{names.get(value['event'], value['event'])}”" if value.get("event") else gettext("any event")
            return f"{label}: {which}{_window(value)}"
        if field in ("at_risk", "staff", "bot"):
            return gettext("%(field)s: yes", field=label) if value is True else gettext("%(field)s: no", field=label)
        if field == "stage_move" and isinstance(value, dict):
            start = choice_label("stage", value["from"]) if value.get("from") else gettext("any stage")
            return gettext("%(from)s → %(to)s in %(month)s", **{"from": start, "to": stage_label(value.get("to")),
                                                                "month": value.get("month")})
        if field == "identity" and isinstance(value, dict):
            return gettext("Identity %(channel)s: %(id)s", channel=channel_label(value.get("channel", "")),
                           id=value.get("external_id", ""))
        if field == "nps" and isinstance(value, dict):
            return f"{label} {op_label('enum', op)} {_values('nps', value.get('group'), names)}{_window(value)}"
        if op in ("is_set", "is_not_set"):
            return f"{label} {op_label('', op)}"
        if op in ("within_days", "not_within_days"):
            phrase = _days(value) if op == "within_days" else gettext("not %(days)s", days=_days(value))
            return f"{label} {phrase}"
        if op == "between" and isinstance(value, list) and len(value) == 2:
            show = _date if field in ("first_seen", "last_active") else str
            return gettext("%(field)s between %(low)s and %(high)s", field=label, low=show(value[0]),
                           high=show(value[1]))
        kind = "date" if field in ("first_seen", "last_active") else ""
        shown = _date(value) if kind else _values(field, value, names)
        return f"{label} {op_label(kind, op)} {shown}"
    except (TypeError, KeyError, AttributeError):
        return f"{label} {op} {value}"


def _describe_activity(op: str, value: dict) -> str:
    what = activity_label(value["type"]) if value.get("type") else gettext("Activity")
    if value.get("channel"):
        what = gettext("%(what)s on %(channel)s", what=what, channel=channel_label(value["channel"]))
    return f"{what}: {_count(op, value.get('count'))}{_window(value)}"


def _count(op: str, count) -> str:
    if op == "between" and isinstance(count, list) and len(count) == 2:
        return gettext("between %(low)s and %(high)s", low=count[0], high=count[1])
    return f"{op_label('activity', op)} {count}"


def rule_lines(tree, names: dict | None = None, attributes: dict | None = None, depth: int = 0) -> list:
    """The rule as indented lines [(depth, text)]: groups as "All of:", "Any of:", "None of:", "Not all of:"."""
    if not isinstance(tree, dict) or depth > 12:
        return []
    negate = False
    while set(tree) == {"not"} and isinstance(tree["not"], dict):
        negate, tree = not negate, tree["not"]
    for key in ("all", "any"):
        if isinstance(tree.get(key), list):
            heading = {("all", False): _l("All of:"), ("any", False): _l("Any of:"),
                       ("all", True): _l("Not all of:"), ("any", True): _l("None of:")}[(key, negate)]
            lines = [(depth, str(heading))]
            for item in tree[key]:
                lines += rule_lines(item, names, attributes, depth + 1)
            return lines
    text = describe(tree, names, attributes)
    return [(depth, gettext("Not: %(condition)s", condition=text) if negate else text)]


def leaves_by_path(tree, path: str = "rules") -> dict[str, dict]:
    """Every condition of a rule by its path (the paths segment_move.conditions are keyed by)."""
    if not isinstance(tree, dict):
        return {}
    if set(tree) == {"not"}:
        return leaves_by_path(tree["not"], f"{path}.not")
    for key in ("all", "any"):
        if isinstance(tree.get(key), list):
            out = {}
            for i, item in enumerate(tree[key]):
                out.update(leaves_by_path(item, f"{path}.{key}[{i}]"))
            return out
    return {path: tree}



# The service's refusals of a name, description, colour or member change, for the catalogue (views translate
# them by their text).
SERVICE_MESSAGES = (
    _l("Give the segment a name of at most 120 characters."),
    _l("The description must be a text of at most 2,000 characters."),
    _l("The colour must be a hex colour such as #4f46e5."),
    _l("Members are added to static segments only; a dynamic segment follows its rule."),
    _l("At most 10,000 members at a time."),
)
