"""Each reason an organisation needs attention, on a known case, and none when all is well."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text, update

from tenants import goals, portfolio
from tenants.agency import jobs
from tenants.agency.access import Membership, visible_orgs
from tenants.agency.models import JobRun, Organisation
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.days import day_of
from tenants.core.db import job_session
from tenants.goals import service as goal_service
from tenants.leaders import leaders
from tenants.metrics.dashboard import Period
from tenants.portfolio import attention
from tenants.portfolio.figures import Figures
from tenants.reports import service as reports
from tests.support import factories
from tests.support.scoring import NOW, act

DAY = timedelta(days=1)


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    b = factories.agency("Beta", "o@beta.test")
    orgs = {n: factories.org(a, n) for n in ("Calm", "Quiet", "Risky", "Leader", "Broken")}
    other = factories.org(b, "Other")
    for name, o in orgs.items():
        days_ago = 10 if name == "Quiet" else 1
        factories.ingest_into(a, o, [act("ann", "message", NOW - days_ago * DAY, f"{name}-1"),
                                     act("bob", "message", NOW - 40 * DAY, f"{name}-2")])
        factories.settle(a, o)
    factories.ingest_into(b, other, [act("ann", "message", NOW - 30 * DAY, "o-1")])
    return a, b, orgs, other


def _day(a, o, day, data: dict) -> None:
    with tenant_scope(a.id, o.id), job_session() as s:
        s.execute(text("INSERT INTO org_day (agency_id, org_id, day, data) VALUES (:a, :o, :d, :data)"),
                  {"a": a.id, "o": o.id, "d": day_of(day), "data": json.dumps(data)})
        s.commit()


def _reasons(a, now) -> dict[str, list[str]]:
    with tenant_scope(a.id), job_session() as s:
        rows = portfolio.rows(s, visible_orgs(s, Membership(1, "owner")), now=now)
        return {r.org.name: [x.code for x in r.attention] for r in rows}


def test_each_reason_on_a_known_case(world):
    a, b, orgs, other = world
    today = NOW.date()
    _day(a, orgs["Risky"], today - 30 * DAY, {"members": 100, "at_risk": 5, "stages": {}, "mau": 40})
    _day(a, orgs["Risky"], today, {"members": 100, "at_risk": 8, "stages": {}, "mau": 40})     # +3 points
    _day(a, orgs["Calm"], today - 30 * DAY, {"members": 100, "at_risk": 5, "stages": {}, "mau": 40})
    _day(a, orgs["Calm"], today, {"members": 100, "at_risk": 6, "stages": {}, "mau": 40})      # +1: below
    with tenant_scope(a.id, orgs["Leader"].id), job_session() as s:
        from sqlalchemy import select

        from tenants.community.models import Member
        bob = s.scalar(select(Member).where(Member.org_id == orgs["Leader"].id, Member.display_name == "Bob"))
        leaders.add(s, bob, "active", Actor(email="t"))         # bob: quiet for 40 days (21 is the default)
        s.commit()
    with tenant_scope(a.id), job_session() as s:
        failed = jobs.create(s, "csv_import", orgs["Broken"].id, {}, None)
        old = jobs.create(s, "csv_import", orgs["Calm"].id, {}, None)
        scoring_run = jobs.create(s, "score_full", orgs["Calm"].id, {}, None)
        s.flush()
        s.execute(update(JobRun).where(JobRun.id.in_([failed.id, old.id, scoring_run.id]))
                  .values(status="failed", created_at=NOW - DAY))
        s.execute(update(JobRun).where(JobRun.id == old.id).values(created_at=NOW - 9 * DAY))   # too old
        s.commit()
    with tenant_scope(b.id), job_session() as s:        # another agency's failure is not ours
        run = jobs.create(s, "csv_import", other.id, {}, None)
        s.flush()
        s.execute(update(JobRun).where(JobRun.id == run.id).values(status="failed", created_at=NOW - DAY))
        s.commit()
    got = _reasons(a, NOW)
    assert got == {"Calm": [], "Quiet": ["no_data"], "Risky": ["at_risk_up"], "Leader": ["leader_quiet"],
                   "Broken": ["import_failed"]}
    with tenant_scope(a.id), job_session() as s:
        rows = portfolio.rows(s, visible_orgs(s, Membership(1, "owner")), now=NOW)
    assert [r.org.name for r in rows][:4] == ["Broken", "Leader", "Quiet", "Risky"]     # needs attention first
    broken = next(r for r in rows if r.org.name == "Broken").attention[0]
    assert (broken.count, broken.job_id) == (1, failed.public_id)
    risky = next(r for r in rows if r.org.name == "Risky").attention[0]
    assert risky.value == 3.0
    assert _reasons(b, NOW) == {"Other": ["no_data", "import_failed"]}        # its own failure only


def test_goals_behind_and_reports_waiting_come_from_the_goals_and_the_reports(world):
    a, _b, orgs, _other = world
    o = orgs["Calm"]
    got = attention.reasons(o, Figures(last_data_at=NOW), {"on_track": 2, "behind": 1}, 2, 0, None, NOW)
    assert [(r.code, r.count) for r in got] == [("goal_behind", 1), ("report_waiting", 2)]
    today = utcnow().date()
    with tenant_scope(a.id, o.id), job_session() as s:
        assert attention._goal_counts(s, [o.id])[o.id]["behind"] == 0 and attention._reports_waiting(s, [o.id]) == {}
        goal_service.create(s, o.id, {"title": "A thousand members", "kpi": "members", "category": "awareness",
                               "start_date": (today - 60 * DAY).isoformat(),
                               "targets": [{"value": "1000", "due": (today + 5 * DAY).isoformat()}]}, Actor(email="t"))
        fresh = reports.generate(s, s.get(Organisation, o.id), Period(today - 30 * DAY, today), False, Actor())
        old = reports.generate(s, s.get(Organisation, o.id), Period(today - 60 * DAY, today - 31 * DAY), False,
                               Actor())
        old.generated_at = utcnow() - 4 * DAY
        s.flush()
        assert attention._goal_counts(s, [o.id]) == {o.id: goals.status_counts(s, [o.id])[o.id]}
        assert attention._goal_counts(s, [o.id])[o.id]["behind"] == 1
        assert attention._reports_waiting(s, [o.id]) == {o.id: 1}          # the fresh draft has not waited yet
        reports.approve(s, old, Actor())
        assert fresh.status == "draft" and attention._reports_waiting(s, [o.id]) == {}


def test_a_new_organisation_without_data_waits_a_week_before_it_is_flagged(world):
    a, _b, _orgs, _other = world
    fresh = factories.org(a, "Fresh")
    with tenant_scope(a.id), job_session() as s:
        rows = portfolio.rows(s, [o for o in visible_orgs(s, Membership(1, "owner")) if o.id == fresh.id])
        assert rows[0].attention == []
        later = fresh.created_at + 8 * DAY
        rows = portfolio.rows(s, [o for o in visible_orgs(s, Membership(1, "owner")) if o.id == fresh.id], now=later)
        assert [r.code for r in rows[0].attention] == ["no_data"]
