"""Leader jobs: the organisation's leader candidates, computed again (nightly and on demand)."""
from __future__ import annotations

from tenants.agency import jobs
from tenants.core.db import job_session
from tenants.leaders import candidates

from ..registry import job
from ..runner import JobContext


@job(jobs.LEADER_CANDIDATES)
def leader_candidates(ctx: JobContext) -> dict:
    """One statement in one transaction: killed halfway, the previous candidates stay."""
    ctx.progress(10, "candidates")
    with job_session() as s:
        found = candidates.compute(s, ctx.org_id)
    return {"candidates": found}
