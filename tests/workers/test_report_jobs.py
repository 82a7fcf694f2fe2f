"""Report generation through real RQ workers: the 1st-of-the-month schedule (one draft of last month per
organisation, once per month however many schedulers) and the list's "Generate" with its progress fragment."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from tenants.agency import jobs
from tenants.agency.models import JobRun
from tenants.core.db import system_scope
from tenants.reports.models import Report
from tests.support import factories
from tests.support import reports as R
from tests.support.http import login, post
from tests.support.workers import work_burst
from workers.scheduler import SCHEDULES, tick

MONTHLY = tuple(s for s in SCHEDULES if s.name == jobs.REPORT_GENERATE)


def test_the_first_of_the_month_makes_last_months_draft_for_every_organisation(worker_env):
    a, b = factories.agency("Acme", "o@acme.test"), factories.agency("Beta", "o@beta.test")
    orgs = [factories.org(a, "One").id, factories.org(a, "Two").id, factories.org(b, "Three").id]
    assert tick(datetime(2026, 7, 1, 6, 0, tzinfo=UTC), MONTHLY) == []          # due from 07:00
    first = datetime(2026, 7, 1, 7, 5, tzinfo=UTC)
    assert tick(first, MONTHLY) == [jobs.REPORT_GENERATE]
    assert tick(first, MONTHLY) == []                                            # a second scheduler: taken
    assert tick(datetime(2026, 7, 15, 9, 0, tzinfo=UTC), MONTHLY) == []          # once per month
    assert work_burst(worker_env).returncode == 0
    with system_scope() as s:
        assert set(s.scalars(select(JobRun.status).where(JobRun.kind == jobs.REPORT_GENERATE))) == {"done"}
        reports = s.execute(select(Report.org_id, Report.status, Report.version, Report.monthly)).all()
    assert sorted(r.org_id for r in reports) == sorted(orgs)
    assert {(r.status, r.version, r.monthly) for r in reports} == {("draft", 1, True)}


def test_generate_from_the_list_polls_until_done_then_links_the_report(client, worker_env):
    w = R.world()
    login(client, "m@acme.test")
    html = post(client, "/acme/coffee/reports/generate", {"kind": "month", "month": "2026-05"},
                htmx=True).get_data(as_text=True)
    poll = re.search(r'hx-get="([^"]+/reports/jobs/[^"]+)" hx-trigger="load delay:800ms"', html).group(1)
    assert client.get(poll).status_code == 200
    assert work_burst(worker_env).returncode == 0
    done = client.get(poll, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-testid="job-done"' in done and "hx-trigger" not in done              # polling stops
    rid = re.search(r'/acme/coffee/reports/([A-Za-z0-9_-]+)" data-testid="open-new-report"', done).group(1)
    r = R.get(w.a, w.o, rid)
    assert (r.period_start.isoformat(), r.period_end.isoformat(), r.status) == ("2026-05-01", "2026-05-31", "draft")
    actions = [x for (x,) in R.sql(w.a, w.o, "SELECT action FROM audit_log WHERE action = 'report_generated'")]
    assert actions == ["report_generated"]
    other = client.application.test_client()
    login(other, "m2@acme.test")
    assert other.get(poll).status_code == 404                                   # another organisation's manager
