"""Report jobs: an organisation's report generated for a period (on the 1st for last month, and on demand)."""
from __future__ import annotations

from datetime import date

from tenants.agency import jobs
from tenants.agency.models import Organisation
from tenants.core.audit import Actor
from tenants.core.db import job_session
from tenants.metrics.dashboard import Period
from tenants.reports import service

from ..registry import job
from ..runner import JobContext


@job(jobs.REPORT_GENERATE)
def report_generate(ctx: JobContext, start: str, end: str, monthly: bool = True) -> dict:
    """One transaction: a run killed halfway leaves no report; run again, it makes the version it would have."""
    ctx.progress(10, "figures")
    with job_session() as s:
        org = s.get(Organisation, ctx.org_id)
        actor = Actor(user_id=ctx.created_by, email=None if ctx.created_by else "scheduler")
        report = service.generate(s, org, Period(date.fromisoformat(start), date.fromisoformat(end)), monthly,
                                  actor)
        s.commit()
        return {"report": report.public_id, "version": report.version}
