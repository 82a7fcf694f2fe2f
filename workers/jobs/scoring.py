"""Scoring jobs: the incremental step after ingest, the full recompute, the nightly daily pass."""
from __future__ import annotations

from tenants import scoring
from tenants.agency import jobs
from tenants.core.db import job_session
from tenants.metrics import rollups

from ..registry import job
from ..runner import JobContext


@job(jobs.SCORE_INCREMENTAL)
def score_incremental(ctx: JobContext) -> dict:
    """Apply the member days ingest queued, chunk by chunk; each chunk commits, so a killed run loses
    nothing and a second run finds only what is left."""
    total = scoring.RunResult()
    while True:
        with job_session() as s:
            r = scoring.incremental(s, ctx.org_id)
        total.members += r.members
        total.member_days += r.member_days
        total.stage_changes += r.stage_changes
        total.version = r.version
        if not r.more:
            break
    return total.as_dict()


@job(jobs.SCORE_FULL)
def score_full(ctx: JobContext) -> dict:
    """Rebuild rollups and scores from the activity table in one transaction (killed: nothing changes)."""
    ctx.progress(5, "rollups")
    with job_session() as s:
        r = scoring.full(s, ctx.org_id, progress=ctx.progress)
        ctx.progress(85, "metrics")
        rollups.rollup(s, ctx.org_id)
    return r.as_dict()


@job(jobs.SCORE_DAILY)
def score_daily(ctx: JobContext) -> dict:
    """Nightly: stages follow decaying scores, at-risk flags, influence, then the day's metrics."""
    with job_session() as s:
        r = scoring.daily(s, ctx.org_id)
        rollups.rollup(s, ctx.org_id)
    return r.as_dict()
