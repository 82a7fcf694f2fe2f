"""The influence network's graph: who is drawn (people with influence, leaders always; no staff, bots, merged
or erased members, nobody of another organisation) and the edges among them over 90 days."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tenants.community.models import Activity, Member
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.leaders.network import network
from tests.support import factories

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def graph():
    a = factories.agency("Acme", "o@acme.test")
    o, tea = factories.org(a, "Coffee"), factories.org(a, "Tea")
    with tenant_scope(a.id), job_session() as s:
        def member(name, influence, org=o, **flags):
            m = Member(org_id=org.id, display_name=name, sort_name=name.lower(), influence=influence,
                       influence_raw=influence / 10 if influence else None, stage="active", **flags)
            s.add(m)
            s.flush()
            return m

        ann, bob, cat = member("Ann", 90.0), member("Bob", 80.0), member("Cat", 70.0)
        quiet = member("Quiet", 0.0)
        staff, bot = member("Staff", 95.0, is_staff=True), member("Bot", 94.0, is_bot=True)
        merged = member("Merged", 85.0, merged_into_id=ann.id)
        erased = member("Erased", 86.0, erased_at=NOW)
        tea_star = member("Tea Star", 99.0, org=tea)
        n = 0

        def act(who, whom, kind, days_ago, times=1, org=o):
            nonlocal n
            for _ in range(times):
                n += 1
                s.add(Activity(org_id=org.id, member_id=who.id, target_member_id=whom.id, type=kind,
                               channel="telegram", occurred_at=NOW - timedelta(days=days_ago), source_id=f"a{n}"))

        act(bob, ann, "reply", 3, times=3)
        act(cat, ann, "reaction", 10, times=2)
        act(ann, bob, "message", 89)                   # a mention, inside the window
        act(bob, ann, "reply", 91)                     # outside the 90 days
        act(cat, bob, "share", 5)                      # not a reply, reaction or mention
        act(staff, ann, "reply", 1, times=5)           # staff are not drawn, nor their edges
        act(bot, bob, "reaction", 1)
        act(ann, ann, "reply", 1)                      # to oneself
        act(cat, quiet, "reply", 2)                    # to someone with no influence, not drawn
        act(tea_star, tea_star, "reply", 1, org=tea)
        s.flush()
        ids = {m.display_name: m.id for m in (ann, bob, cat, quiet, staff, bot, merged, erased, tea_star)}
        s.commit()
    return a, o, ids


def test_top_people_and_their_interactions_in_90_days(graph):
    a, o, ids = graph
    with tenant_scope(a.id, o.id), job_session() as s:
        net = network(s, o.id, NOW)
    name = {v: k for k, v in ids.items()}
    assert [name[n.id] for n in net.nodes] == ["Ann", "Bob", "Cat"]
    assert {(name[e.source], name[e.target], e.weight) for e in net.edges} == \
        {("Bob", "Ann", 3), ("Cat", "Ann", 2), ("Ann", "Bob", 1)}
    assert not any(n.leader for n in net.nodes)


def test_limit_and_leaders(graph):
    a, o, ids = graph
    name = {v: k for k, v in ids.items()}
    with tenant_scope(a.id, o.id), job_session() as s:
        top = network(s, o.id, NOW, limit=2)
        led = network(s, o.id, NOW, leader_ids={ids["Quiet"], ids["Staff"]}, limit=3)
    assert [name[n.id] for n in top.nodes] == ["Ann", "Bob"]
    assert {(name[e.source], name[e.target]) for e in top.edges} == {("Bob", "Ann"), ("Ann", "Bob")}
    # A leader is drawn whatever their influence (staff never are), marked, and their edges come along.
    assert [(name[n.id], n.leader) for n in led.nodes] == [("Quiet", True), ("Ann", False), ("Bob", False)]
    assert {(name[e.source], name[e.target]) for e in led.edges} == {("Bob", "Ann"), ("Ann", "Bob")}


def test_a_window_moves_with_as_of(graph):
    a, o, ids = graph
    with tenant_scope(a.id, o.id), job_session() as s:
        later = network(s, o.id, NOW + timedelta(days=5))
    name = {v: k for k, v in ids.items()}
    assert {(name[e.source], name[e.target], e.weight) for e in later.edges} == \
        {("Bob", "Ann", 3), ("Cat", "Ann", 2)}                       # the mention 89 days back fell out
