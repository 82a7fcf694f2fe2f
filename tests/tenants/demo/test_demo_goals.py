"""The demo's goals: two or three per organisation, one on track and one behind, each with its daily points from the
start; loading the demo again replaces them instead of adding more."""
from __future__ import annotations

from sqlalchemy import func, select

from tenants import goals
from tenants.accounts.models import Agency
from tenants.agency.models import Organisation
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.demo.seed import seed
from tenants.goals.models import Goal, GoalPoint

MEMBERS = 400


def _orgs() -> tuple[int, list[int]]:
    with system_scope() as s:
        agency_id = s.scalar(select(Agency.id).where(Agency.slug == "demo"))
    with tenant_scope(agency_id), job_session() as s:
        return agency_id, list(s.scalars(select(Organisation.id).order_by(Organisation.id)))


def test_every_demo_organisation_has_a_goal_on_track_and_one_behind_with_points():
    seed(MEMBERS)
    seed(MEMBERS)
    agency_id, org_ids = _orgs()
    with tenant_scope(agency_id), job_session() as s:
        counts = goals.status_counts(s, org_ids)
        for org_id in org_ids:
            assert counts[org_id]["on_track"] >= 1 and counts[org_id]["behind"] >= 1, counts
            n = s.scalar(select(func.count()).select_from(Goal).where(Goal.org_id == org_id))
            assert 2 <= n <= 3
        assert s.scalar(select(func.count()).select_from(GoalPoint)) >= 2 * 61 * len(org_ids)
        assert s.scalar(select(func.count()).select_from(Goal).where(Goal.baseline.is_(None))) == 0
