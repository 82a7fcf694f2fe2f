"""Digest jobs: an organisation's digest addressed and logged in one transaction, so a failed run sends
nothing and leaves no half log (the outbox delivers only what commits)."""
from __future__ import annotations

import logging

from tenants.agency import jobs
from tenants.core.db import job_session
from tenants.digest import service

from ..registry import job
from ..runner import JobContext

log = logging.getLogger("communa.workers")


@job(jobs.DIGEST_SEND)
def digest_send(ctx: JobContext, kind: str = "weekly", to: str | None = None, report_id: int | None = None) -> dict:
    with job_session() as s:
        report = service.report_for(s, ctx.org_id, report_id) if report_id else None
        rows = service.send(s, ctx.org_id, kind, report=report, only=to)
        outcomes = {o: sum(1 for r in rows if r.outcome == o) for o in ("sent", "paused", "unsubscribed")}
        s.commit()
    log.info("job %s: %s digest %s", ctx.run_id, kind, outcomes)
    return outcomes
