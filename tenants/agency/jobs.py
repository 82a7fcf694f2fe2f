"""JobRun rows: what a background job is doing, readable by the page that polls it."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tenants.agency.models import JobFile, JobRun
from tenants.core.base import utcnow

# Job kinds: the one list. Workers register a function per kind; the web layer labels them.
AUDIT_EXPORT, AGENCY_CLEANUP = "audit_export", "agency_cleanup"
CSV_IMPORT, TELEGRAM_IMPORT = "csv_import", "telegram_import"
SCORE_INCREMENTAL, SCORE_FULL, SCORE_DAILY = "score_incremental", "score_full", "score_daily"
IMPORT_KINDS = (CSV_IMPORT, TELEGRAM_IMPORT)
KINDS = (AUDIT_EXPORT, AGENCY_CLEANUP, CSV_IMPORT, TELEGRAM_IMPORT, SCORE_INCREMENTAL, SCORE_FULL, SCORE_DAILY)


def create(session: Session, kind: str, org_id: int | None, params: dict, created_by: int | None) -> JobRun:
    run = JobRun(kind=kind, org_id=org_id, params=params, created_by_id=created_by, status="queued")
    session.add(run)
    session.flush()
    return run


def by_public_id(session: Session, public_id: str) -> JobRun | None:
    return session.scalar(select(JobRun).where(JobRun.public_id == public_id))


def set_progress(session: Session, run_id: int, progress: int, message: str | None = None) -> None:
    session.execute(update(JobRun).where(JobRun.id == run_id)
                    .values(progress=max(0, min(100, progress)), message=message))


def start(session: Session, run_id: int) -> None:
    session.execute(update(JobRun).where(JobRun.id == run_id)
                    .values(status="running", started_at=utcnow(), error=None, progress=0))


def finish(session: Session, run_id: int, result: dict | None) -> None:
    session.execute(update(JobRun).where(JobRun.id == run_id)
                    .values(status="done", progress=100, result=result, finished_at=utcnow()))


def fail(session: Session, run_id: int, error: str) -> None:
    session.execute(update(JobRun).where(JobRun.id == run_id)
                    .values(status="failed", error=error[:4000], finished_at=utcnow()))


def attach_file(session: Session, run_id: int, filename: str, content_type: str, content: bytes) -> JobFile:
    f = JobFile(job_run_id=run_id, filename=filename, content_type=content_type, content=content)
    session.add(f)
    return f


def file_of(session: Session, run: JobRun) -> JobFile | None:
    return session.scalar(select(JobFile).where(JobFile.job_run_id == run.id).order_by(JobFile.id.desc()))


def recent(session: Session, kind: str | None = None, limit: int = 10) -> list[JobRun]:
    stmt = select(JobRun).order_by(JobRun.created_at.desc()).limit(limit)
    if kind:
        stmt = stmt.where(JobRun.kind == kind)
    return list(session.scalars(stmt))
