"""Segment jobs: the daily snapshot of every segment of an organisation."""
from __future__ import annotations

import logging

from sqlalchemy import select

from tenants.agency import jobs
from tenants.core.base import utcnow
from tenants.core.db import job_session
from tenants.segments import snapshot
from tenants.segments.models import Segment

from ..registry import job
from ..runner import JobContext

log = logging.getLogger("communa.workers")


@job(jobs.SEGMENT_SNAPSHOT)
def segment_snapshot(ctx: JobContext) -> dict:
    """Each segment in its own transaction: a segment whose snapshot fails keeps yesterday's state and the
    others are counted; the day's row is the claim, so running again counts only what is left."""
    today = utcnow().date()
    with job_session() as s:
        ids = list(s.scalars(select(Segment.id).where(Segment.org_id == ctx.org_id).order_by(Segment.id)))
    counted, failed = 0, []
    for n, segment_id in enumerate(ids, 1):
        try:
            with job_session() as s:
                counted += snapshot.snapshot(s, s.get(Segment, segment_id), today)
        except Exception:
            log.exception("job %s: segment %s snapshot failed", ctx.run_id, segment_id)
            failed.append(segment_id)
        ctx.progress(int(100 * n / len(ids)))
    if failed and len(failed) == len(ids):
        raise RuntimeError(f"every segment snapshot failed: {failed}")
    return {"segments": len(ids), "counted": counted, "failed": failed}
