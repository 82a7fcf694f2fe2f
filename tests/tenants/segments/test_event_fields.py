"""The event fields of the segment engine on a hand-made history with known answers, and their bad values refused
with the path of the bad part (an event of another organisation among them)."""
from __future__ import annotations

import pytest

from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.segments import service
from tenants.segments.service import SegmentError
from tests.support import factories
from tests.support.event_history import TODAY, members, past_event, upcoming_event


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    ids = members(a, o, {n: [300] for n in ("ann", "bob", "cat", "dan", "eve")})
    e1 = past_event(a, o, 100, ids, registered=("ann", "bob", "cat"), came=("ann", "bob"))
    e2 = past_event(a, o, 50, ids, registered=("ann", "bob"), came=("ann",), walk_ins=("dan",))
    e3 = upcoming_event(a, o, 5, ids, registered=("eve",))
    b = factories.agency("Other", "x@other.test")
    p = factories.org(b, "Tea")
    foreign = past_event(b, p, 10, members(b, p, {"zed": [20]}), registered=("zed",))
    return a, o, {v: k for k, v in ids.items()}, {"e1": e1, "e2": e2, "e3": e3, "foreign": foreign}


def c(field, op, value=None):
    return {"field": field, "op": op, "value": value}


def matches(world, rule) -> set[str]:
    a, o, names, _ev = world
    with tenant_scope(a.id, o.id), job_session() as s:
        stmt = service.rule_statement(s, o.id, rule, TODAY.date())
        ids = service.member_ids(s, stmt)
        assert service.count(s, stmt) == len(ids)
        return {names[i] for i in ids}


def test_event_fields_with_known_answers(world):
    ev = world[3]
    cases = [
        (c("events_attended", "gte", {"count": 2}), {"ann"}),
        (c("events_attended", "gte", {"count": 1, "within_days": 60}), {"ann", "dan"}),
        (c("events_attended", "lt", {"count": 1}), {"cat", "eve"}),
        (c("events_attended", "between", {"count": [1, 1]}), {"bob", "dan"}),
        (c("events_attended", "eq", {"count": 0, "within_days": 60}), {"bob", "cat", "eve"}),
        (c("attended_event", "in", [ev["e1"]]), {"ann", "bob"}),
        (c("attended_event", "in", [ev["e1"], ev["e2"]]), {"ann", "bob", "dan"}),
        (c("attended_event", "not_in", [ev["e1"]]), {"cat", "dan", "eve"}),
        (c("registered_no_show", "eq", {"event": ev["e2"]}), {"bob"}),
        (c("registered_no_show", "eq", {}), {"bob", "cat"}),
        (c("registered_no_show", "eq", {"within_days": 60}), {"bob"}),
        (c("registered_no_show", "eq", {"event": ev["e3"]}), set()),          # not held yet: nobody missed it
        ({"not": c("registered_no_show", "eq", {})}, {"ann", "dan", "eve"}),
    ]
    for rule, expected in cases:
        assert matches(world, rule) == expected, rule


def test_bad_values_are_refused_with_their_path(world):
    a, o, _names, ev = world
    bad = [
        (c("attended_event", "in", ["nosuch"]), "rules.value[0]"),
        (c("attended_event", "in", [ev["e1"], ev["foreign"]]), "rules.value[1]"),      # another organisation's
        (c("attended_event", "in", ["no such!"]), "rules.value[0]"),
        (c("attended_event", "in", []), "rules.value"),
        (c("attended_event", "eq", ev["e1"]), "rules.op"),
        (c("events_attended", "gte", {"count": -1}), "rules.value.count"),
        (c("events_attended", "gte", {"count": 1, "colour": "red"}), "rules.value.colour"),
        (c("events_attended", "gte", {"within_days": 30}), "rules.value.count"),
        (c("registered_no_show", "eq", {"event": ev["e1"], "within_days": 3}), "rules.value.event"),
        (c("registered_no_show", "eq", {"event": ev["foreign"]}), "rules.value.event"),
        (c("registered_no_show", "eq", {"within_days": 0}), "rules.value.within_days"),
        (c("registered_no_show", "eq", "x"), "rules.value"),
    ]
    with tenant_scope(a.id, o.id), job_session() as s:
        for rule, path in bad:
            with pytest.raises(SegmentError) as exc:
                service.rule_statement(s, o.id, rule, TODAY.date())
            assert exc.value.path == path, (rule, exc.value.problems)
