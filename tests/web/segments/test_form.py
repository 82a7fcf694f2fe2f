"""The builder's form and the rule tree, both ways, without a request: nested groups, not, value kinds, edits,
and rules from a link normalised for the builder."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from web.segments import form

KINDS = {"stage": ("enum", ("eq", "ne", "in", "not_in")), "engagement": ("number", ("eq", "gte", "between")),
         "activity": ("activity", ("gte", "gt", "lte", "lt", "eq", "between")),
         "at_risk": ("bool", ("eq",)), "last_active": ("date", ("gte", "within_days")),
         "tag": ("text", ("eq", "in")), "nps": ("nps", ("eq", "in"))}


def kind_of(name):
    return KINDS.get(name)


def tree(pairs):
    return form.tree_from_form(MultiDict(pairs), kind_of)


def cond(path, field, op, was=None):
    return [(f"{path}.field", field), (f"{path}.op", op), (f"{path}.was", field if was is None else was)]


def test_nested_groups_with_not_and_any_come_back_as_the_tree():
    pairs = [("rules.match", "all"), *cond("rules.all[0]", "stage", "in"),
             ("rules.all[0].value", "loyal"), ("rules.all[0].value", "advocate"),
             ("rules.all[1].match", "any"), ("rules.all[1].negate", "on"),
             *cond("rules.all[1].not.any[0]", "engagement", "between"),
             ("rules.all[1].not.any[0].value[0]", "2"), ("rules.all[1].not.any[0].value[1]", "3.5"),
             ("rules.all[1].not.any[1].match", "all"),
             *cond("rules.all[1].not.any[1].all[0]", "at_risk", "eq"), ("rules.all[1].not.any[1].all[0].value", "on"),
             *cond("rules.all[1].not.any[1].all[1]", "activity", "gte"),
             ("rules.all[1].not.any[1].all[1].value.type", "message"),
             ("rules.all[1].not.any[1].all[1].value.count", "3"),
             ("rules.all[1].not.any[1].all[1].value.within_days", "30"),
             ("csrf_token", "x"), ("name", "Loyal")]
    assert tree(pairs) == {"all": [
        {"field": "stage", "op": "in", "value": ["loyal", "advocate"]},
        {"not": {"any": [
            {"field": "engagement", "op": "between", "value": [2, 3.5]},
            {"all": [{"field": "at_risk", "op": "eq", "value": True},
                     {"field": "activity", "op": "gte", "value": {"type": "message", "count": 3, "within_days": 30}}]},
        ]}},
    ]}


def test_switching_a_group_keeps_its_children_and_gaps_close_up():
    pairs = [("rules.match", "any"), *cond("rules.all[0]", "tag", "eq"), ("rules.all[0].value", " vip "),
             *cond("rules.all[5]", "last_active", "within_days"), ("rules.all[5].value", "7")]
    assert tree(pairs) == {"any": [{"field": "tag", "op": "eq", "value": "vip"},
                                   {"field": "last_active", "op": "within_days", "value": 7}]}


def test_a_new_field_starts_with_its_first_operator_and_no_value():
    pairs = [*cond("rules.all[0]", "engagement", "in", was="stage"), ("rules.all[0].value", "loyal")]
    assert tree(pairs) == {"all": [{"field": "engagement", "op": "eq", "value": None}]}
    pairs = [*cond("rules.all[0]", "activity", "", was="")]
    assert tree(pairs)["all"][0]["value"] == {"count": 1, "within_days": 30}


def test_values_that_are_not_numbers_stay_as_typed_for_the_check_to_name():
    pairs = [*cond("rules.all[0]", "engagement", "gte"), ("rules.all[0].value", "lots"),
             *cond("rules.all[1]", "last_active", "within_days"), ("rules.all[1].value", "2.5"),
             *cond("rules.all[2]", "tag", "in"), ("rules.all[2].value", "a, b,,c"),
             *cond("rules.all[3]", "nps", "eq"), ("rules.all[3].value.group", "promoter"),
             ("rules.all[3].value.within_days", "90"), *cond("rules.all[4]", "at_risk", "eq")]
    assert [c["value"] for c in tree(pairs)["all"]] == [
        "lots", "2.5", ["a", "b", "c"], {"group": "promoter", "within_days": 90}, False]


def test_an_operator_change_keeps_what_fits():
    single_to_many = [*cond("rules.all[0]", "stage", "in"), ("rules.all[0].value", "loyal")]
    assert tree(single_to_many)["all"][0]["value"] == ["loyal"]
    pair_to_one = [*cond("rules.all[0]", "engagement", "gte"), ("rules.all[0].value[0]", "4")]
    assert tree(pair_to_one)["all"][0]["value"] == 4


def test_names_that_are_not_builder_paths_or_too_deep_are_ignored():
    deep = "rules" + ".all[0]" * 12
    assert tree([*cond(deep, "stage", "eq"), ("rulesX.field", "stage"), ("rules.all[0].evil", "1")]) == {"all": []}


def test_edits_add_a_condition_or_group_and_remove_by_position():
    t = {"all": [{"field": "stage", "op": "eq", "value": "loyal"}, {"not": {"any": []}}]}
    form.edit(t, "add", "rules.all[1].not")       # the path of a negated group's children works
    form.edit(t, "group", "rules")
    assert t == {"all": [{"field": "stage", "op": "eq", "value": "loyal"},
                         {"not": {"any": [{"field": "", "op": "", "value": None}]}},
                         {"all": [{"field": "", "op": "", "value": None}]}]}
    form.edit(t, "remove", "rules.any[0]")          # positions, whatever the group's word
    assert [list(x) for x in t["all"]] == [["not"], ["all"]]
    before = repr(t)
    for action, path in (("remove", "rules"), ("add", "rules.all[9]"), ("remove", "nonsense"), ("zap", "rules")):
        form.edit(t, action, path)
    assert repr(t) == before


def test_rules_from_a_link_are_normalised_and_unreadable_parts_named():
    leaf = {"field": "stage", "op": "eq", "value": "loyal"}
    assert form.normalize(leaf) == ({"all": [leaf]}, [])
    assert form.normalize({"not": leaf}) == ({"not": {"all": [leaf]}}, [])
    assert form.normalize({"not": {"not": {"any": [leaf]}}}) == ({"any": [leaf]}, [])
    assert form.normalize({"all": [{"not": leaf}]}) == ({"all": [{"not": {"all": [leaf]}}]}, [])
    normal, problems = form.normalize({"all": [leaf, 7, {"bogus": 1}]})
    assert normal["all"][1:] == [{"field": "", "op": "", "value": None}] * 2
    assert [p for p, _m in problems] == ["rules.all[1]", "rules.all[2]"]
    normal, problems = form.normalize([1, 2])
    assert normal == {"all": [{"field": "", "op": "", "value": None}]} and problems[0][0] == "rules.all[0]"
