"""Job kinds that exist only for tests (loaded via COMMUNA_JOB_MODULES)."""
from __future__ import annotations

import os
import time

from sqlalchemy import select

from tenants.agency.models import Organisation
from tenants.community.ingest import ingest
from tenants.community.validate import parse_activity
from tenants.core.db import job_session
from tenants.scoring import ScoringError
from workers.registry import job


@job("test_boom")
def boom(ctx, reason: str = "boom") -> None:
    ctx.progress(40, "about to fail")
    raise RuntimeError(reason)


@job("test_refused")
def refused(ctx, field: str = "half_life_days") -> None:
    """Fails on a domain error, as a job whose input turns out to be invalid does."""
    ctx.progress(10, "checking")
    raise ScoringError("%(field)s must be a number.", field=field)


@job("test_count_orgs")
def count_orgs(ctx) -> dict:
    """Reports what the job's tenant scope can see: only its own agency's organisations."""
    with job_session() as s:
        names = sorted(s.scalars(select(Organisation.name)))
    return {"orgs": names}


@job("test_stall")
def stall(ctx, items: list, gate: str) -> dict:
    """Ingests `items` in one transaction and, before committing, reports 20% and waits while the file `gate`
    exists: a worker killed meanwhile takes the uncommitted batch with it."""
    with job_session() as s:
        result = ingest(s, ctx.org_id, [parse_activity(item) for item in items])
        s.flush()
        ctx.progress(20, "stored, not committed")
        while os.path.exists(gate):
            time.sleep(0.05)
    return {"accepted": result.accepted}
