"""Scoring jobs: the incremental step after ingest, the full recompute, the nightly daily pass."""
from __future__ import annotations

import logging

from tenants import goals, scoring
from tenants.agency import jobs
from tenants.core.db import job_session
from tenants.metrics import rollups

from ..registry import job
from ..runner import JobContext

log = logging.getLogger("communa.workers")


def _reported(ctx: JobContext, r: scoring.RunResult) -> dict:
    """The run's result; members whose data was left out or who could not be scored go to the log as well as
    into the result the job page shows."""
    if r.ignored:
        log.warning("job %s: organisation %s, values scoring does not count left out for members %s",
                    ctx.run_id, ctx.org_id, sorted(r.ignored))
    if r.failed:
        log.error("job %s: organisation %s, members left unscored (their data failed): %s",
                  ctx.run_id, ctx.org_id, sorted(r.failed))
    return r.as_dict()


@job(jobs.SCORE_INCREMENTAL)
def score_incremental(ctx: JobContext) -> dict:
    """Apply the member days ingest queued, chunk by chunk; each chunk commits, so a killed run loses
    nothing and a second run finds only what is left."""
    total = scoring.RunResult()
    while True:
        with job_session() as s:
            r = scoring.incremental(s, ctx.org_id)
        total.add(r)
        if not r.more:
            break
    return _reported(ctx, total)


@job(jobs.SCORE_FULL)
def score_full(ctx: JobContext) -> dict:
    """Rebuild rollups and scores from the activity table in one transaction (killed: nothing changes)."""
    ctx.progress(5, "rollups")
    with job_session() as s:
        r = scoring.full(s, ctx.org_id, progress=ctx.progress)
        ctx.progress(85, "metrics")
        rollups.rollup(s, ctx.org_id)
    return _reported(ctx, r)


@job(jobs.SCORE_DAILY)
def score_daily(ctx: JobContext) -> dict:
    """Nightly: stages follow decaying scores, at-risk flags, influence, then the day's metrics, then each open
    goal's point of the day (read from the figures just stored)."""
    with job_session() as s:
        r = scoring.daily(s, ctx.org_id)
        rollups.rollup(s, ctx.org_id)
        goals.record_points(s, ctx.org_id)
    return _reported(ctx, r)
