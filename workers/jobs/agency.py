"""Agency housekeeping jobs: the audit-log export and the nightly clean-up of old job files."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from tenants.agency import jobs as job_service
from tenants.agency.models import JobFile, JobRun
from tenants.community import duplicates, privacy
from tenants.core import audit
from tenants.core.db import job_session

from ..registry import job
from ..runner import JobContext


@job(job_service.AUDIT_EXPORT)
def audit_export(ctx: JobContext, action: str | None = None) -> dict:
    """The agency's audit log as a CSV file attached to the job run."""
    with job_session() as s:
        content = audit.export_csv(s, action or None, ctx.progress)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        name = f"audit-log-{ctx.agency_id}-{stamp}.csv"
        job_service.attach_file(s, ctx.run_id, name, "text/csv; charset=utf-8", content)
        rows = content.count(b"\n") - 1
    return {"rows": rows, "filename": name}


@job(job_service.AGENCY_CLEANUP)
def agency_cleanup(ctx: JobContext, keep_days: int = 14) -> dict:
    """Nightly, per agency: drop files of old finished jobs so exports do not pile up, and the bytes of uploads
    past their organisation's retention period; key the names of members added or renamed (duplicates)."""
    cutoff = datetime.now(UTC) - timedelta(days=keep_days)
    with job_session() as s:
        old_runs = select(JobRun.id).where(JobRun.finished_at < cutoff)
        removed = s.execute(delete(JobFile).where(JobFile.job_run_id.in_(old_runs))).rowcount or 0
        # One incremental scoring run per ingest batch: their records are only worth keeping briefly.
        runs = s.execute(delete(JobRun).where(JobRun.kind == job_service.SCORE_INCREMENTAL, JobRun.status == "done",
                                              JobRun.finished_at < datetime.now(UTC) - timedelta(days=2))).rowcount
        uploads = privacy.purge_uploads(s)
        keyed = duplicates.refresh_name_keys(s)       # names a duplicates page has not keyed yet
    return {"files_removed": removed, "scoring_runs_removed": runs or 0, "uploads_purged": uploads,
            "names_keyed": keyed}
