"""Job entry points. Each runs inside its tenant's scope (set by workers.runner)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from tenants import audit
from tenants import jobs as job_service
from tenants.db import job_session
from tenants.models import JobFile, JobRun

from .registry import job
from .runner import JobContext


@job("audit_export")
def audit_export(ctx: JobContext, action: str | None = None) -> dict:
    """The agency's audit log as a CSV file attached to the job run."""
    with job_session() as s:
        content = audit.export_csv(s, action or None, ctx.progress)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        name = f"audit-log-{ctx.agency_id}-{stamp}.csv"
        job_service.attach_file(s, ctx.run_id, name, "text/csv; charset=utf-8", content)
        rows = content.count(b"\n") - 1
    return {"rows": rows, "filename": name}


@job("agency_cleanup")
def agency_cleanup(ctx: JobContext, keep_days: int = 14) -> dict:
    """Nightly, per agency: drop files of old finished jobs so exports do not pile up."""
    cutoff = datetime.now(UTC) - timedelta(days=keep_days)
    with job_session() as s:
        old_runs = select(JobRun.id).where(JobRun.finished_at < cutoff)
        removed = s.execute(delete(JobFile).where(JobFile.job_run_id.in_(old_runs))).rowcount or 0
    return {"files_removed": removed}
