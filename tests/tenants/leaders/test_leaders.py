"""Leaders: the status pipeline and its history, touchpoint impact on hand-made activity, quiet-leader alerts,
what the leader page counts, erasure, and an active leader as scoring's advocacy signal."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tenants import scoring
from tenants.community import profile
from tenants.community.models import Member
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.days import midnight
from tenants.core.db import job_session
from tenants.core.models import AuditLog
from tenants.leaders import impact, leaders
from tenants.leaders.leaders import LeaderError
from tenants.leaders.models import Leader, LeaderStatusChange, Touchpoint
from tests.support import factories
from tests.support import leaders as graph
from tests.support.leaders import act

ACTOR = Actor(email="t@acme.test")


def _org():
    a = factories.agency("Acme", "o@acme.test")
    return a, factories.org(a, "Coffee")


def _member(s, name: str) -> Member:
    return s.scalar(select(Member).where(Member.display_name == name))


def test_status_pipeline_records_who_when_from_to_and_why():
    a, o = _org()
    user = factories.person(a, "m@acme.test", "manager", [o.id])
    factories.ingest_into(a, o, [act("ann", "message", utcnow() - timedelta(days=1), "s1")])
    who = Actor(user_id=user.id, email=user.email)
    with tenant_scope(a.id, o.id), job_session() as s:
        leader = leaders.add(s, _member(s, "Ann"), "candidate", who, note="answers everyone")
        assert leader.since is None
        for status, why in (("invited", "called her"), ("active", "said yes"), ("alumni", "moved away")):
            assert leaders.set_status(s, leader, status, why, who)
        assert not leaders.set_status(s, leader, "alumni", "again", who)      # no change, nothing recorded
        with pytest.raises(LeaderError):
            leaders.set_status(s, leader, "famous", "", who)
        with pytest.raises(LeaderError, match="already a leader"):
            leaders.add(s, _member(s, "Ann"), "active", who)
        s.commit()
        changes = [(c.from_status, c.to_status, c.note, name) for c, name in leaders.history(s, leader)]
        assert changes == [("active", "alumni", "moved away", "M"), ("invited", "active", "said yes", "M"),
                           ("candidate", "invited", "called her", "M"), (None, "candidate", "answers everyone", "M")]
        assert leader.status == "alumni" and leader.since is not None     # since: when first active, kept
        actions = s.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
        assert actions.count("leader_status_changed") == 3 and "leader_added" in actions


def _impact_world():
    """Leader Lead and a touchpoint 80 days ago (D): Lead 4 activities in the 60 days before D and 5 after;
    the people Lead reached in the 90 days before D are P1 and P2 (P3 only earlier): 2 activities before, 2 after."""
    a, o = _org()
    now = utcnow()
    day = (now - timedelta(days=80)).date()
    d = midnight(day) + timedelta(hours=12)
    items = [act("lead", "message", d + timedelta(days=n), f"lead{n}") for n in (-70, -50, -40, -30, 5, 10, 20, 30,
                                                                                   50, 70)]
    items += [act("lead", "reply", d - timedelta(days=20), "lead-p2", target="p2"),
              act("p1", "reply", d - timedelta(days=10), "p1-lead", target="lead"),
              act("p1", "message", d + timedelta(days=1), "p1-a"), act("p1", "message", d + timedelta(days=2), "p1-b"),
              act("p2", "message", d - timedelta(days=30), "p2-a"),
              act("p3", "reply", d - timedelta(days=100), "p3-lead", target="lead"),
              act("p3", "message", d + timedelta(days=3), "p3-a")]
    factories.ingest_into(a, o, items)
    factories.settle(a, o)
    with tenant_scope(a.id, o.id), job_session() as s:
        leader = leaders.add(s, _member(s, "Lead"), "active", ACTOR)
        old = leaders.add_touchpoint(s, leader, "gift", day, "a hoodie", ACTOR)
        recent = leaders.add_touchpoint(s, leader, "call", (now - timedelta(days=10)).date(), "", ACTOR)
        s.commit()
        return a, o, leader.id, old.id, recent.id


def test_touchpoint_impact_compares_60_days_after_with_60_days_before_and_says_too_early():
    a, o, leader_id, old, recent = _impact_world()
    with tenant_scope(a.id, o.id), job_session() as s:
        found = impact.touchpoint_impact(s, s.get(Leader, leader_id))
    i = found[old]
    assert i.ready and (i.own_before, i.own_after) == (4, 5) and i.own_change == 25
    assert (i.people, i.people_before, i.people_after, i.people_change) == (2, 2, 2, 0)
    assert not found[recent].ready


def test_an_active_leader_quiet_for_the_organisations_days_raises_an_alert():
    a, o, leader_id, _old, _recent = _impact_world()       # Lead was last active 10 days ago
    with tenant_scope(a.id, o.id), job_session() as s:
        assert leaders.quiet_days(s, o.id) == 21 and leaders.quiet(s, o.id) == []
        leaders.set_quiet_days(s, o.id, 7, ACTOR)
        assert [leader.id for leader, _m in leaders.quiet(s, o.id)] == [leader_id]
        assert [r.quiet for r in leaders.listing(s, o.id)] == [True]
        assert leaders.is_quiet(s, s.get(Leader, leader_id), _member(s, "Lead"))
        leaders.set_status(s, s.get(Leader, leader_id), "alumni", "", ACTOR)
        assert leaders.quiet(s, o.id) == []                 # only active leaders go quiet
        with pytest.raises(LeaderError):
            leaders.set_quiet_days(s, o.id, 0, ACTOR)


def test_the_leader_page_counts_the_members_reached_and_influence_by_month():
    w = graph.build()
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        star = leaders.add(s, s.get(Member, w.ids["star"]), "active", ACTOR)
        reached = impact.reached(s, star, w.now)
        assert (reached.total, reached.new, reached.rising) == (41, 41, 0)    # fans, not the bot
        months = impact.monthly(s, star, w.now)
        assert len(months) == 12 and sum(n for _m, _p, n in months) == 41


def test_erasing_a_member_removes_their_leader_row_history_and_touchpoint_notes():
    a, o, leader_id, _old, _recent = _impact_world()
    with tenant_scope(a.id, o.id), job_session() as s:
        profile.erase_member(s, _member(s, "Lead"), ACTOR)
        s.commit()
        for model in (Leader, LeaderStatusChange, Touchpoint):
            assert s.scalar(select(func.count()).select_from(model)) == 0


def test_a_leader_row_follows_its_member_through_a_merge_and_back_through_an_unmerge():
    from tenants.community.merge import merge, unmerge
    a, o, leader_id, _old, _recent = _impact_world()
    with tenant_scope(a.id, o.id), job_session() as s:
        lead, p1, p2 = (_member(s, n) for n in ("Lead", "P1", "P2"))
        record = merge(s, p1, lead, ACTOR)          # Lead (a leader) merged into P1 (not one)
        s.commit()
        row = s.get(Leader, leader_id)
        assert (row.member_id, row.merged_from_id) == (p1.id, lead.id)
        assert [r.member.id for r in leaders.listing(s, o.id)] == [p1.id]
        assert s.scalar(select(func.count()).select_from(Touchpoint).where(Touchpoint.leader_id == leader_id)) == 2
        unmerge(s, record, ACTOR)
        s.commit()
        s.refresh(row)
        assert (row.member_id, row.merged_from_id) == (lead.id, None)
        other = leaders.add(s, p2, "invited", ACTOR)
        merge(s, lead, p2, ACTOR)                   # both are leaders: the survivor keeps its own row
        s.commit()
        s.refresh(other)
        assert other.member_id == p2.id and s.get(Leader, leader_id).member_id == lead.id
        assert [r.leader.id for r in leaders.listing(s, o.id)] == [leader_id]


def _loyal_world(advocacy_leader: bool = True):
    """Lee: 20 reviews over 70 days (E above the advocate bar, tenure past 60 days), no advocacy activity."""
    a, o = _org()
    now = utcnow()
    factories.ingest_into(a, o, [act("lee", "review", now - timedelta(days=70 - 3.5 * i), f"r{i}") for i in range(20)])
    with tenant_scope(a.id, o.id), job_session() as s:
        if not advocacy_leader:
            scoring.save_model(s, o.id, scoring.Model(advocacy_leader=False), None)
        scoring.full(s, o.id)
        s.commit()
        assert _member(s, "Lee").stage == "loyal"
    return a, o


def _stage(a, o) -> str:
    with tenant_scope(a.id, o.id), job_session() as s:
        return _member(s, "Lee").stage


def test_an_active_leader_is_the_advocacy_signal_in_full_and_incremental_scoring():
    a, o = _loyal_world()
    with tenant_scope(a.id, o.id), job_session() as s:
        leader = leaders.add(s, _member(s, "Lee"), "invited", ACTOR)
        s.commit()
        scoring.full(s, o.id)
        s.commit()
    assert _stage(a, o) == "loyal"                  # invited is not active yet
    with tenant_scope(a.id, o.id), job_session() as s:
        leaders.set_status(s, s.get(Leader, leader.id), "active", "", ACTOR)     # queues Lee for re-scoring
    factories.settle(a, o)                          # the incremental path
    assert _stage(a, o) == "advocate"
    with tenant_scope(a.id, o.id), job_session() as s:
        scoring.full(s, o.id)                       # the full recompute agrees
        s.commit()
        assert scoring.explain(s, _member(s, "Lee"))["advocacy"] is True
    assert _stage(a, o) == "advocate"


def test_with_the_option_off_an_active_leader_is_no_advocacy_signal():
    a, o = _loyal_world(advocacy_leader=False)
    with tenant_scope(a.id, o.id), job_session() as s:
        leaders.add(s, _member(s, "Lee"), "active", ACTOR)
    factories.settle(a, o)
    assert _stage(a, o) == "loyal"
    with tenant_scope(a.id, o.id), job_session() as s:
        scoring.full(s, o.id)
        s.commit()
    assert _stage(a, o) == "loyal"
