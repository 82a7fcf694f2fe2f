"""The rule engine on hand-made members with known answers: every field and operator, nesting, people-only by
default, and the paths of bad parts."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.segments import service
from tenants.segments.service import SegmentError

from .conftest import NOW

PEOPLE = {"ann", "bob", "cat", "dan", "eve"}
TODAY = NOW.date()


def c(field, op, value=None):
    return {"field": field, "op": op, "value": value}


def matches(world, rule) -> set[str]:
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        stmt = service.rule_statement(s, world.org.id, rule, TODAY)
        ids = service.member_ids(s, stmt)
        assert service.count(s, stmt) == len(ids)
        return world.names(ids)


CASES = [
    ({"all": []}, PEOPLE),
    (c("stage", "eq", "loyal"), {"bob"}),
    (c("stage", "ne", "loyal"), PEOPLE - {"bob"}),
    (c("stage", "in", ["loyal", "advocate"]), {"ann", "bob"}),
    (c("stage", "not_in", ["loyal", "advocate"]), {"cat", "dan", "eve"}),
    (c("engagement", "gte", 35), {"ann", "bob"}),
    (c("engagement", "gt", 35), {"ann"}),
    (c("engagement", "lt", 2), {"dan"}),
    (c("engagement", "lte", 2), {"dan", "eve"}),
    (c("engagement", "eq", 12), {"cat"}),
    (c("engagement", "ne", 12), PEOPLE - {"cat"}),
    (c("engagement", "between", [2, 35]), {"bob", "cat", "eve"}),
    (c("loyalty", "gte", 50), {"ann", "bob"}),
    (c("influence", "gt", 50), {"ann", "cat"}),
    (c("influence", "ne", 5), {"ann", "bob", "cat", "eve"}),
    (c("followers", "gte", 100), {"ann", "eve"}),
    (c("at_risk", "eq", True), {"bob"}),
    (c("at_risk", "eq", False), PEOPLE - {"bob"}),
    (c("channel", "eq", "vk"), {"ann", "bob", "cat"}),
    (c("channel", "ne", "telegram"), {"cat", "dan"}),
    (c("channel", "in", ["email", "vk"]), {"ann", "bob", "cat", "dan"}),
    (c("channel", "not_in", ["email", "vk"]), {"eve"}),
    (c("tag", "eq", "vip"), {"ann", "cat"}),
    (c("tag", "in", ["barista", "nobody"]), {"cat"}),
    (c("tag", "not_in", ["vip"]), {"bob", "dan", "eve"}),
    (c("first_seen", "within_days", 30), {"cat"}),
    (c("first_seen", "lt", (TODAY - timedelta(days=100)).isoformat()), {"dan", "eve"}),
    (c("first_seen", "between", [(TODAY - timedelta(days=70)).isoformat(), (TODAY - timedelta(days=21)).isoformat()]),
     {"ann", "bob"}),
    (c("last_active", "within_days", 7), {"ann", "cat", "dan"}),
    (c("last_active", "not_within_days", 30), {"bob", "eve"}),
    (c("last_active", "gte", (TODAY - timedelta(days=2)).isoformat()), {"ann", "dan"}),
    (c("activity", "gte", {"type": "message", "count": 3, "within_days": 30}), {"ann"}),
    (c("activity", "gte", {"type": "message", "count": 3}), {"ann", "bob"}),
    (c("activity", "lt", {"type": "message", "count": 1, "within_days": 30}), {"bob", "eve"}),
    (c("activity", "eq", {"count": 0, "within_days": 30}), {"bob", "eve"}),
    (c("activity", "between", {"type": "reaction", "count": [1, 5]}), {"cat"}),
    (c("activity", "gte", {"channel": "vk", "count": 2, "within_days": 30}), {"cat"}),
    (c("activity", "gte", {"channel": "vk", "type": "post", "count": 1}), {"ann"}),
    (c("activity", "gt", {"count": 5, "from": (TODAY - timedelta(days=70)).isoformat(),
                          "to": (TODAY - timedelta(days=40)).isoformat()}), {"bob"}),
    (c("activity", "lte", {"count": 1}), {"dan", "eve"}),
    (c("nps", "eq", "promoter"), {"ann"}),
    (c("nps", "in", ["passive", "detractor"]), {"bob", "cat"}),
    (c("nps", "ne", "promoter"), PEOPLE - {"ann"}),
    (c("nps", "eq", {"group": "passive", "within_days": 30}), {"cat"}),
    (c("staff", "eq", True), {"staffer"}),
    (c("bot", "eq", True), {"robot"}),
    (c("staff", "eq", False), PEOPLE | {"robot"}),
    (c("audience", "eq", "staff"), {"staffer"}),
    (c("audience", "in", ["people", "bots"]), PEOPLE | {"robot"}),
    (c("audience", "not_in", ["people"]), {"staffer", "robot"}),
    ({"not": c("influence", "gt", 50)}, {"bob", "dan", "eve"}),
    ({"not": {"any": [c("tag", "eq", "vip"), c("channel", "eq", "email")]}}, {"bob", "eve"}),
    ({"not": c("activity", "between", {"count": [1, 3], "within_days": 30})}, {"ann", "bob", "cat", "eve"}),
    (c("search", "contains", "AN"), {"ann", "dan"}),
    (c("identity", "eq", {"channel": "email", "external_id": "dan"}), {"dan"}),
    (c("attr.plan", "eq", "gold"), {"ann"}),
    (c("attr.plan", "ne", "gold"), PEOPLE - {"ann"}),
    (c("attr.plan", "is_set"), {"ann", "bob"}),
    (c("attr.plan", "is_not_set"), {"cat", "dan", "eve"}),
    (c("attr.spend", "gt", 50), {"ann"}),
    (c("attr.spend", "between", [10, 200]), {"ann", "bob"}),
    (c("attr.since", "lt", "2025-01-01"), {"ann"}),
    (c("attr.note", "contains", "x"), set()),
    ({"any": [c("stage", "eq", "advocate"), c("at_risk", "eq", True)]}, {"ann", "bob"}),
    ({"not": c("channel", "eq", "telegram")}, {"cat", "dan"}),
    ({"all": [c("channel", "eq", "vk"),
              {"any": [c("tag", "eq", "barista"), {"not": c("activity", "gte", {"count": 1, "within_days": 30})}]}]},
     {"bob", "cat"}),
]


@pytest.mark.parametrize(("rule", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_every_field_and_operator(world, rule, expected):
    assert matches(world, rule) == expected


def test_stage_move_in_a_month(world):
    from tenants.community.models import MemberMonth
    month = TODAY.year * 12 + TODAY.month - 1
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        s.query(MemberMonth).delete()
        for name, before, after in (("ann", "loyal", "advocate"), ("bob", None, "loyal"), ("cat", "active", "active")):
            if before:
                s.add(MemberMonth(org_id=world.org.id, member_id=world.ids[name], month=month - 1, stage=before,
                                  active=True))
            s.add(MemberMonth(org_id=world.org.id, member_id=world.ids[name], month=month, stage=after, active=True))
        s.commit()
    key = f"{TODAY.year:04d}-{TODAY.month:02d}"
    assert matches(world, c("stage_move", "eq", {"month": key, "to": "advocate", "from": "loyal"})) == {"ann"}
    assert matches(world, c("stage_move", "eq", {"month": key, "to": "loyal", "from": "none"})) == {"bob"}
    assert matches(world, c("stage_move", "eq", {"month": key, "to": "active"})) == {"cat"}


BAD = [
    ({"all": [c("stage", "eq", "loyal"), c("stage", "gt", "loyal")]}, "rules.all[1].op"),
    ({"all": [c("nope", "eq", 1)]}, "rules.all[0].field"),
    ({"any": [c("engagement", "gt", "ten")]}, "rules.any[0].value"),
    ({"any": []}, "rules.any"),
    ({"all": [{"not": c("stage", "in", ["loyal", "gold"])}]}, "rules.all[0].not.value[1]"),
    (c("activity", "gte", {"type": "message", "count": -1}), "rules.value.count"),
    (c("activity", "gte", {"type": "chat", "count": 1}), "rules.value.type"),
    (c("activity", "gte", {"count": 1, "within_days": 3, "from": "2026-01-01"}), "rules.value.within_days"),
    (c("activity", "gte", {"count": 1, "colour": "red"}), "rules.value.colour"),
    (c("engagement", "between", [5, 1]), "rules.value"),
    (c("first_seen", "gte", "2026-13-01"), "rules.value"),
    (c("attr.missing", "eq", "x"), "rules.field"),
    (c("attr.plan", "eq", "platinum"), "rules.value"),
    (c("attr.plan", "is_set", 3), "rules.value"),
    ({"field": "stage", "op": "eq", "value": "loyal", "extra": 1}, "rules.extra"),
    ({"all": [{"all": [{"all": [{"all": [{"all": [{"all": [{"all": [c("stage", "eq", "loyal")]}]}]}]}]}]}]},
     "rules.all[0].all[0].all[0].all[0].all[0].all[0].all[0]"),
    ([1, 2], "rules"),
    (c("segment", "in", ["nosuch"]), "rules.value[0]"),
]


@pytest.mark.parametrize(("rule", "path"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_parts_are_refused_with_their_path(world, rule, path):
    with tenant_scope(world.agency.id, world.org.id), job_session() as s, pytest.raises(SegmentError) as exc:
        service.rule_statement(s, world.org.id, rule, TODAY)
    assert exc.value.path == path, exc.value.problems


def test_every_problem_is_listed(world):
    rule = {"all": [c("nope", "eq", 1), c("stage", "gt", "x"), c("engagement", "gte", True)]}
    with tenant_scope(world.agency.id, world.org.id), job_session() as s, pytest.raises(SegmentError) as exc:
        service.rule_statement(s, world.org.id, rule, TODAY)
    assert [p for p, _ in exc.value.problems] == ["rules.all[0].field", "rules.all[1].op", "rules.all[2].value"]
