"""Goals on a hand-made organisation: the baseline read on the start date through the KPI registry, the
backfill of a past start, daily points written once per day, a future start's baseline when its day comes,
validation, closing a missed goal, the audit trail, and the portfolio's and report's summaries."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tenants import goals, kpis
from tenants.community.validate import ActivityIn, IdentityRef
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.core.models import AuditLog
from tenants.goals import service
from tenants.goals.models import Goal, GoalPoint
from tenants.goals.service import GoalError
from tenants.segments import service as segments
from tests.support import factories

ACTOR = Actor(email="t@acme.test")
DAY = timedelta(days=1)
TODAY = utcnow().date()


def _act(who: str, days_ago: int, n: int) -> ActivityIn:
    when = utcnow().replace(hour=12, minute=0, second=0, microsecond=0) - days_ago * DAY
    return ActivityIn(member=IdentityRef("telegram", who, display_name=who.title()), type="message",
                      occurred_at=when, source_id=f"{who}-{n}", channel="telegram")


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    # new members: ann 50 days ago, bob 20, cat and dan 5
    factories.ingest_into(a, o, [_act("ann", 50, 1), _act("bob", 20, 2), _act("cat", 5, 3), _act("dan", 5, 4)])
    factories.settle(a, o)
    return a, o


def _data(**over) -> dict:
    return {"title": "More newcomers", "kpi": "new", "category": "awareness", "start_date": TODAY.isoformat(),
            "targets": [{"value": "10", "due": (TODAY + 60 * DAY).isoformat()}], **over}


def test_a_past_start_takes_its_baseline_and_backfills_points_to_today(world):
    a, o = world
    start = TODAY - 30 * DAY
    with tenant_scope(a.id, o.id), job_session() as s:
        g = service.create(s, o.id, _data(start_date=start.isoformat()), ACTOR)
        s.commit()
        assert g.baseline == kpis.at(s, o.id, "new", start) == 1          # ann, in the 30 days up to the start
        assert g.baseline_on == start
        pts = goals.points.of_goal(s, g.id)
        assert [d for d, _v in pts] == [start + i * DAY for i in range(31)]
        assert pts[-1][1] == 3                                            # bob, cat, dan
        assert goals.backfill(s, g) == 31                                 # again: the same days, overwritten
        s.flush()
        assert s.scalar(select(func.count()).select_from(GoalPoint)) == 31


def test_recording_a_day_twice_overwrites_and_a_future_start_gets_its_baseline_that_day(world):
    a, o = world
    with tenant_scope(a.id, o.id), job_session() as s:
        later = service.create(s, o.id, _data(start_date=(TODAY + 2 * DAY).isoformat()), ACTOR)
        now = service.create(s, o.id, _data(title="Now"), ACTOR)
        s.commit()
        assert later.baseline is None and goals.points.of_goal(s, later.id) == []
        assert now.baseline == 3 and len(goals.points.of_goal(s, now.id)) == 1
        assert goals.record_points(s, o.id, TODAY) == 1          # the future goal has not started
        assert goals.record_points(s, o.id, TODAY) == 1
        s.commit()
        assert len(goals.points.of_goal(s, now.id)) == 1
        assert goals.record_points(s, o.id, TODAY + 2 * DAY) == 2
        s.commit()
        s.refresh(later)
        assert later.baseline == kpis.at(s, o.id, "new", TODAY + 2 * DAY) and later.baseline_on == TODAY + 2 * DAY
        assert [d for d, _v in goals.points.of_goal(s, later.id)] == [TODAY + 2 * DAY]


def test_closed_goals_record_no_points(world):
    a, o = world
    with tenant_scope(a.id, o.id), job_session() as s:
        g = service.create(s, o.id, _data(), ACTOR)
        service.close(s, g, "", ACTOR)
        s.commit()
        assert g.outcome == "stopped"
        assert goals.record_points(s, o.id, TODAY + DAY) == 0


@pytest.mark.parametrize(("over", "where"), [
    ({"title": " "}, "title"), ({"kpi": "nope"}, "kpi"), ({"category": "x"}, "category"),
    ({"kpi": "segment_size"}, "segment"), ({"segment": "no-such"}, "segment"),
    ({"start_date": "2026-02-30"}, "start_date"), ({"start_date": (TODAY - 500 * DAY).isoformat()}, "start_date"),
    ({"targets": []}, "targets"), ({"targets": [{"value": "x", "due": "2030-01-01"}]}, "targets"),
    ({"targets": [{"value": "5", "due": TODAY.isoformat()}]}, "targets"),
    ({"kpi": "at_risk_share", "direction": "-1", "targets": [{"value": "120", "due": "2027-12-01"}]}, "targets"),
    ({"targets": [{"value": "5", "due": "2027-01-01"}, {"value": "6", "due": "2027-01-01"}]}, "targets"),
    ({"targets": [{"value": "1", "due": (TODAY + 9 * DAY).isoformat()}]}, "targets"),   # below the baseline (3)
    ({"owner": "nobody"}, "owner"), ({"direction": "2"}, "direction"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(world, over, where):
    a, o = world
    with tenant_scope(a.id, o.id), job_session() as s:
        with pytest.raises(GoalError) as exc:
            service.create(s, o.id, _data(**over), ACTOR)
        assert exc.value.where == where
        s.rollback()
        assert s.scalar(select(func.count()).select_from(Goal)) == 0


def test_a_scope_is_a_segment_of_the_same_organisation_and_only_for_scopable_kpis(world):
    a, o = world
    tea = factories.org(a, "Tea")
    with tenant_scope(a.id, tea.id), job_session() as s:
        theirs = segments.create(s, tea.id, {"name": "Tea people", "kind": "static"}, ACTOR).public_id
        s.commit()
    with tenant_scope(a.id, o.id), job_session() as s:
        ours = segments.create(s, o.id, {"name": "Ours", "kind": "static"}, ACTOR)
        s.flush()
        with pytest.raises(GoalError, match="segment of this organisation"):
            service.create(s, o.id, _data(segment=theirs), ACTOR)
        with pytest.raises(GoalError, match="whole organisation"):
            service.create(s, o.id, _data(kpi="stickiness", segment=ours.public_id), ACTOR)
        g = service.create(s, o.id, _data(kpi="segment_size", segment=ours.public_id,
                                          targets=[{"value": "0", "due": "2027-12-01"}]), ACTOR)
        assert g.baseline == 0 and g.segment_name == "Ours"


def test_closing_a_missed_goal_needs_a_note_and_every_change_is_audited(world):
    a, o = world
    with tenant_scope(a.id, o.id), job_session() as s:
        g = service.create(s, o.id, _data(start_date=(TODAY - 30 * DAY).isoformat(),
                                          targets=[{"value": "50", "due": (TODAY - DAY).isoformat()}]), ACTOR)
        with pytest.raises(GoalError, match="what happened"):
            service.close(s, g, "bad", ACTOR)
        service.update(s, g, _data(title="Renamed", start_date=g.start_date.isoformat(),
                                   targets=[{"value": "60", "due": (TODAY - DAY).isoformat()}]), ACTOR)
        service.close(s, g, "The campaign slipped a month; we run it in March.", ACTOR)
        assert g.outcome == "missed"
        service.reopen(s, g, ACTOR)
        service.delete_goal(s, g, ACTOR)
        s.commit()
        assert [e.action for e in s.scalars(select(AuditLog).order_by(AuditLog.id))
                if e.action.startswith("goal_")] == ["goal_created", "goal_changed", "goal_targets_changed",
                                                     "goal_closed", "goal_reopened", "goal_deleted"]


def test_changing_the_kpi_retakes_the_baseline_and_the_points(world):
    a, o = world
    with tenant_scope(a.id, o.id), job_session() as s:
        g = service.create(s, o.id, _data(start_date=(TODAY - 3 * DAY).isoformat()), ACTOR)
        service.update(s, g, _data(kpi="members", start_date=(TODAY - 3 * DAY).isoformat()), ACTOR)
        s.commit()
        assert g.baseline == 4 and goals.points.of_goal(s, g.id)[-1] == (TODAY, 4)


def test_status_counts_and_the_report_read_the_latest_points(world):
    a, o = world
    tea = factories.org(a, "Tea")
    start = (TODAY - 30 * DAY).isoformat()
    with tenant_scope(a.id, o.id), job_session() as s:
        # baseline 1, now 3: to 3 in 60 days is reached; to 100 far behind; a goal not yet started
        due = (TODAY + 30 * DAY).isoformat()
        for value in ("3", "100"):
            service.create(s, o.id, _data(start_date=start, targets=[{"value": value, "due": due}]), ACTOR)
        service.create(s, o.id, _data(start_date=(TODAY + 5 * DAY).isoformat()), ACTOR)
        s.commit()
        counts = goals.status_counts(s, [o.id, tea.id])
        assert counts == {o.id: {"on_track": 1, "at_risk": 0, "behind": 1},
                          tea.id: {"on_track": 0, "at_risk": 0, "behind": 0}}
        report = goals.for_report(s, o.id, TODAY)
        assert [(r["baseline"], r["target"], r["current"], r["status"]) for r in report] == [
            (1, 3, 3, "on_track"), (1, 100, 3, "behind")]
        assert report[0]["progress"] == 1.0


def test_a_goal_whose_segment_is_deleted_says_so_and_records_no_more_points(world):
    a, o = world
    with tenant_scope(a.id, o.id), job_session() as s:
        seg = segments.create(s, o.id, {"name": "Regulars", "kind": "static"}, ACTOR)
        s.flush()
        g = service.create(s, o.id, _data(kpi="members", segment=seg.public_id,
                                          targets=[{"value": "5", "due": "2027-12-01"}]), ACTOR)
        s.commit()
        segments.delete_segment(s, seg, ACTOR)
        s.commit()
        s.refresh(g)
        assert g.segment_id is None and g.scope_lost and g.segment_name == "Regulars"
        assert goals.record_points(s, o.id, TODAY + DAY) == 0
