"""The nightly daily pass records each open goal's point of the day after the rollup, through a real worker; run
again the same day it overwrites the point instead of adding one; another agency's goals are not touched."""
from __future__ import annotations

from sqlalchemy import select

from tenants.agency.models import JobRun
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.goals.models import Goal, GoalPoint
from tests.support import factories
from tests.support.goals import community, goal
from tests.support.workers import work_burst
from workers.scoring import request_daily


def test_the_daily_pass_records_goal_points_once_a_day(worker_env):
    a = factories.agency("Acme", "o@acme.test")
    b = factories.agency("Beta", "o@beta.test")
    o, tea = factories.org(a, "Coffee"), factories.org(b, "Tea")
    community(a, o)
    community(b, tea, joined=(3,))
    ours = goal(a, o, start_days_ago=0)
    theirs = goal(b, tea, start_days_ago=0, target="5")
    with system_scope() as s:
        s.execute(GoalPoint.__table__.update().values(value=-1.0))       # written at creation: now stale
    for _ in range(2):
        with tenant_scope(a.id, o.id), job_session() as s:
            request_daily(s, o.id)
        assert work_burst(worker_env).returncode == 0
    with system_scope() as s:
        assert [r.status for r in s.scalars(select(JobRun).where(JobRun.kind == "score_daily"))] == ["done", "done"]
        rows = {(p.goal_id, p.day): p.value for p in s.scalars(select(GoalPoint))}
    today = utcnow().date()
    with system_scope() as s:
        ids = {g.public_id: g.id for g in s.scalars(select(Goal))}
    assert rows == {(ids[ours], today): 3.0, (ids[theirs], today): -1.0}
