"""Daily snapshots: once per day per segment (two schedulers, a job run twice), entered and exited with the
conditions that changed, history across rule versions; static segments follow erasure and merges; starters."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tenants.agency.models import JobRun
from tenants.community.models import Member
from tenants.community.profile import erase_member as erase
from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.segments import service, snapshot, starters
from tenants.segments.models import Segment, SegmentDay, SegmentMember, SegmentMove
from tests.support.workers import work_burst

from .conftest import NOW

TODAY = NOW.date()
ACTOR = Actor(email="t")
LOYALISH = {"all": [{"field": "stage", "op": "in", "value": ["loyal", "advocate"]},
                    {"field": "channel", "op": "eq", "value": "vk"}]}


def _scoped(world):
    return tenant_scope(world.agency.id, world.org.id), job_session()


def test_entered_and_exited_with_the_conditions_that_changed(world):
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        seg = service.create(s, world.org.id, {"name": "Loyal on VK", "rules": LOYALISH}, ACTOR)
        assert snapshot.snapshot(s, seg, TODAY - timedelta(days=1))
        assert not snapshot.snapshot(s, seg, TODAY - timedelta(days=1))     # the day is taken
        s.execute(update(Member).where(Member.id == world.ids["bob"]).values(stage="active"))
        s.execute(update(Member).where(Member.id == world.ids["cat"]).values(stage="loyal"))
        assert snapshot.snapshot(s, seg, TODAY)
        s.commit()
        days = {d.day: d for d in s.scalars(select(SegmentDay).where(SegmentDay.segment_id == seg.id))}
        first, second = (days[k] for k in sorted(days))
        assert (first.size, first.entered, first.exited) == (2, 0, 0)
        assert (second.size, second.entered, second.exited) == (2, 1, 1)
        assert second.stages == {"advocate": 1, "loyal": 1} and second.at_risk == 0
        assert abs(second.avg_score - (80 + 12) / 2) < 1e-9
        moves = {world.names([m.member_id]).pop(): m for m in s.scalars(select(SegmentMove))}
        assert moves["cat"].entered and moves["cat"].conditions == {"rules.all[0]": True, "rules.all[1]": True}
        assert not moves["bob"].entered and moves["bob"].conditions == {"rules.all[0]": False, "rules.all[1]": True}


def test_history_survives_a_rule_edit(world):
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        seg = service.create(s, world.org.id, {"name": "VK", "rules": {"field": "channel", "op": "eq",
                                                                        "value": "vk"}}, ACTOR)
        snapshot.snapshot(s, seg, TODAY - timedelta(days=1))
        service.update_segment(s, seg, {"rules": LOYALISH}, ACTOR)
        snapshot.snapshot(s, seg, TODAY)
        s.commit()
        rows = s.execute(select(SegmentDay.version, SegmentDay.size).where(SegmentDay.segment_id == seg.id)
                         .order_by(SegmentDay.day)).all()
        assert [tuple(r) for r in rows] == [(1, 3), (2, 2)]
        assert {m.version for m in s.scalars(select(SegmentMove))} == {2}


def test_static_segments_freeze_and_follow_erasure_and_merges(world):
    from tenants.community.merge import merge
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        dynamic = service.create(s, world.org.id, {"name": "VK", "rules": {"field": "channel", "op": "eq",
                                                                            "value": "vk"}}, ACTOR)
        frozen = service.freeze(s, dynamic, ACTOR)
        assert frozen.kind == "static"
        assert world.names(service.member_ids(s, service.statement(s, frozen))) == {"ann", "bob", "cat"}
        m = {name: s.get(Member, i) for name, i in world.ids.items()}
        merge(s, m["dan"], m["cat"], ACTOR)          # cat merged into dan: dan takes cat's place
        erase(s, m["bob"], ACTOR)
        s.commit()
        assert world.names(service.member_ids(s, service.statement(s, frozen))) == {"ann", "dan"}
        assert s.scalar(select(func.count()).select_from(SegmentMember).where(
            SegmentMember.member_id == world.ids["bob"])) == 0


def test_the_job_counts_each_segment_once_a_day_through_a_real_worker(world, worker_env):
    from datetime import UTC, datetime

    from workers.scheduler import tick
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        n_segments = s.scalar(select(func.count()).select_from(Segment))
    morning = datetime.combine(TODAY, datetime.min.time(), UTC).replace(hour=7)
    assert "segment_snapshot" in tick(morning)
    assert "segment_snapshot" not in tick(morning)          # a second scheduler finds the day taken
    assert work_burst(worker_env).returncode == 0
    with system_scope() as s:
        runs = s.scalars(select(JobRun).where(JobRun.kind == "segment_snapshot")).all()
        assert [(r.status, r.result["counted"]) for r in runs] == [("done", n_segments)]
        run = runs[0]
        s.execute(update(JobRun).where(JobRun.id == run.id).values(status="failed"))
    from tenants.agency import jobs
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:       # run it again: nothing new
        jobs.request(s, jobs.SEGMENT_SNAPSHOT, world.org.id, ("queued", "running"))
        jobs.commit(s)
    assert work_burst(worker_env).returncode == 0
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(SegmentDay)) == n_segments
        latest = s.scalars(select(JobRun).where(JobRun.kind == "segment_snapshot").order_by(JobRun.id.desc())).first()
        assert latest.status == "done" and latest.result["counted"] == 0


def test_every_organisation_starts_with_the_starter_segments(world):
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        found = {seg.starter: seg for seg in service.of_org(s, world.org.id)}
        assert set(found) == set(starters.STARTERS)
        sizes = {code: world.names(service.member_ids(s, service.statement(s, seg))) for code, seg in found.items()}
    assert sizes["advocates"] == {"ann"} and sizes["at_risk"] == {"bob"}
    assert sizes["slipping_away"] == {"bob"}          # active before, quiet 45 days
    assert sizes["new_active"] == {"cat"}


def test_sizes_in_one_statement_agree_with_each_count_and_skip_a_rule_that_no_longer_checks(world):
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        vk = service.create(s, world.org.id, {"name": "VK", "rules": {"field": "channel", "op": "eq",
                                                                       "value": "vk"}}, ACTOR)
        loyal = service.create(s, world.org.id, {"name": "Loyal", "rules": LOYALISH}, ACTOR)
        frozen = service.freeze(s, vk, ACTOR)
        broken = service.create(s, world.org.id, {"name": "Gone", "rules": LOYALISH}, ACTOR)
        s.execute(update(Segment).where(Segment.id == broken.id).values(
            rules={"field": "attr.gone", "op": "eq", "value": "x"}))
        s.expire_all()
        segments = service.of_org(s, world.org.id)
        sizes = service.sizes(s, segments)
        assert sizes[broken.id] is None
        assert {k: v for k, v in sizes.items() if k != broken.id} == {
            x.id: service.size(s, x) for x in segments if x.id != broken.id}
        assert (sizes[vk.id], sizes[loyal.id], sizes[frozen.id]) == (3, 2, 3)


def test_deleting_a_segment_another_rule_names_is_refused_with_its_name(world):
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        base = service.create(s, world.org.id, {"name": "Base", "rules": LOYALISH}, ACTOR)
        service.create(s, world.org.id, {"name": "Uses base", "rules": {
            "field": "segment", "op": "in", "value": [base.public_id]}}, ACTOR)
        with pytest.raises(service.SegmentError, match="used by the segments “Uses base”"):
            service.delete_segment(s, base, ACTOR)
        assert service.used_by(s, base) == ["Uses base"]
