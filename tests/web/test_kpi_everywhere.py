"""One KPI, one number: members, active (30 days), loyal and advocates, at-risk share and NPS are the same on the
dashboard, in a report for the same 30 days, on the portfolio and in a goal, because all of them read the KPI
registry's definition. Publishing the monthly report then mails its digest with the report's own figures."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tenants import goals, kpis, portfolio, scoring
from tenants.agency.access import Membership, visible_orgs
from tenants.agency.models import Organisation
from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.goals import service as goal_service
from tenants.metrics import rollups
from tenants.metrics.dashboard import Period
from tenants.reports import service as reports
from tests.support import factories
from tests.support.http import login
from tests.support.public_events import mails
from tests.support.scoring import act
from workers import reports as report_jobs

NOW = datetime.now(UTC)
CODES = ("members", "active_30d", "loyal_advocates", "at_risk_share", "nps")


def _world():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    factories.person(a, "c@acme.test", "client", [o.id])
    items = [act(f"m{i}", "message", NOW - timedelta(days=d, hours=i), f"{i}-{d}") for i in range(12)
             for d in range(0, 200, 2 + i % 6)]
    items += [act(f"m{i}", "survey_answer", NOW - timedelta(days=3), f"nps-{i}", meta={"nps": 10 - i})
              for i in range(8)]
    factories.ingest_into(a, o, items)
    with tenant_scope(a.id, o.id), job_session() as s:
        scoring.full(s, o.id)
        rollups.rollup(s, o.id, days=60)
        s.commit()
    return a, o


def test_the_same_number_on_the_dashboard_the_report_the_portfolio_and_a_goal(client):
    a, o = _world()
    today = NOW.date()
    p = Period(today - timedelta(days=29), today)
    with tenant_scope(a.id, o.id), job_session() as s:
        want = kpis.compute(s, o.id, p, CODES)
        report = reports.generate(s, s.get(Organisation, o.id), p, False, Actor())
        for code in CODES:
            goal_service.create(s, o.id, {"title": code, "kpi": code, "category": "loyalty",
                                          "targets": [{"value": {"at_risk_share": "0", "nps": "90"}.get(code, "1000"),
                                                       "due": (today + timedelta(days=90)).isoformat()}]},
                                Actor(email="t"))
        goals.record_points(s, o.id, today)
        in_goals = {g["kpi"]: g["current"] for g in goals.for_report(s, o.id, today)}
        s.commit()
        in_report = {c: report.figures[c] for c in CODES}
    with tenant_scope(a.id), job_session() as s:
        m = Membership(user_id=0, role="owner")
        row = portfolio.rows(s, visible_orgs(s, m))[0].figures
    in_portfolio = {c: getattr(row, c) for c in CODES}
    assert None not in want.values() and want["members"] == 12
    assert in_report == want and in_portfolio == want and in_goals == want
    login(client, "c@acme.test")
    page = client.get(f"/{a.slug}/{o.slug}/?days=30").text
    tiles = dict(re.findall(r'data-kpi="(\w+)">.*?class="kpi-value">(?:<a [^>]*>)?([^<]+)<', page, re.S))
    assert tiles["members"] == f"{want['members']:,}" and tiles["nps"] == f"{want['nps']:+d}"
    assert tiles["loyal_advocates"] == f"{want['loyal_advocates']:,}"
    assert tiles["at_risk_share"] == f"{want['at_risk_share']:.1f}%"


def test_publishing_the_monthly_report_mails_its_digest_with_the_reports_figures(worker_env):
    from tests.support.workers import work_burst
    a, o = _world()
    with tenant_scope(a.id, o.id), job_session() as s:
        from tenants.digest import service as digest
        digest.update(s, o.id, Actor(), weekly=False, paused=False, extra="boss@client.example")
        org = s.get(Organisation, o.id)
        report = reports.generate(s, org, reports.last_month(), True, Actor())
        reports.approve(s, report, Actor())
        report_jobs.publish(s, report, Actor())
        s.commit()
        # Last month ended before the pass that stored today's snapshot: members by their first-seen dates,
        # the at-risk share (kept only by a day's own pass) no data, said as such.
        members, active = report.figures["members"], report.figures["active_30d"]
        assert report.figures["at_risk_share"] is None
        public_id = report.public_id
    assert work_burst(worker_env).returncode == 0
    client_mail, boss_mail = mails("c@acme.test")[0], mails("boss@client.example")[0]
    assert "loyalty report for" in client_mail.subject
    assert members == 12 and "Members: 12" in client_mail.body and "At risk: —" in client_mail.body
    assert active and f"Active this month: {active:,}" in client_mail.body
    assert f"/{a.slug}/{o.slug}/reports/{public_id}" in client_mail.body
    assert "/r/" in boss_mail.body and f"/reports/{public_id}" not in boss_mail.body
