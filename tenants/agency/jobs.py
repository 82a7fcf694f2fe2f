"""JobRun rows: what a background job is doing, readable by the page that polls it.

A job is recorded in the caller's transaction (`record`, or `request` for work that must not start twice) and
handed to a worker only once that transaction commits: the worker always finds the row, and a rolled-back
change starts nothing. The hand-over itself is the workers layer's (`set_dispatcher`), which this layer does
not import."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sqlalchemy import event, select, text, update
from sqlalchemy.orm import Session

from tenants.agency.models import JobFile, JobRun, Organisation
from tenants.core import locks
from tenants.core.base import utcnow
from tenants.core.context import require_agency_id
from tenants.core.errors import DomainError

log = logging.getLogger("communa.jobs")
DISPATCH = "jobs_to_dispatch"       # session.info key: runs recorded in the session's open transaction
_dispatcher: Callable[[int, int, str, str], None] | None = None

# Job kinds: the one list. Workers register a function per kind; the web layer labels them.
AUDIT_EXPORT, AGENCY_CLEANUP = "audit_export", "agency_cleanup"
CSV_IMPORT, TELEGRAM_IMPORT = "csv_import", "telegram_import"
SCORE_INCREMENTAL, SCORE_FULL, SCORE_DAILY = "score_incremental", "score_full", "score_daily"
IMPORT_KINDS = (CSV_IMPORT, TELEGRAM_IMPORT)
KINDS = (AUDIT_EXPORT, AGENCY_CLEANUP, CSV_IMPORT, TELEGRAM_IMPORT, SCORE_INCREMENTAL, SCORE_FULL, SCORE_DAILY)


def create(session: Session, kind: str, org_id: int | None, params: dict, created_by: int | None) -> JobRun:
    """A JobRun row only; the caller runs it (the command line runs imports in its own process)."""
    run = JobRun(kind=kind, org_id=org_id, params=params, created_by_id=created_by, status="queued")
    session.add(run)
    session.flush()
    return run


def record(session: Session, kind: str, org_id: int | None = None, params: dict | None = None,
           created_by: int | None = None) -> JobRun:
    """A JobRun for the current tenant, handed to a worker when the caller commits."""
    agency_id = require_agency_id()         # no tenant, no job: refused before anything is added
    run = create(session, kind, org_id, params or {}, created_by)
    session.info.setdefault(DISPATCH, []).append((run.id, agency_id, kind, run.public_id))
    return run


def request(session: Session, kind: str, org_id: int, waiting: tuple[str, ...] = ("queued",),
            created_by: int | None = None, dispatch: bool = True) -> tuple[JobRun, bool]:
    """Work of `kind` for the organisation, started at most once: while a run of that kind is in one of the
    `waiting` states it is returned (False) and nothing new starts; otherwise a new run is recorded (True), for
    a worker (or, with `dispatch` off, for the caller to run). Concurrent requests wait for each other on an
    advisory lock until the first commits."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k, CAST(:org AS integer))"),
                    {"k": locks.JOB_REQUEST, "org": org_id})
    busy = session.scalar(select(JobRun).where(JobRun.org_id == org_id, JobRun.kind == kind,
                                               JobRun.status.in_(waiting)).order_by(JobRun.id.desc()).limit(1))
    if busy is not None:
        return busy, False
    if not dispatch:
        return create(session, kind, org_id, {}, created_by), True
    return record(session, kind, org_id, created_by=created_by), True


def set_dispatcher(dispatch: Callable[[int, int, str, str], None]) -> None:
    """Install what hands a committed run (id, agency id, kind, public id) to a worker."""
    global _dispatcher
    _dispatcher = dispatch


@event.listens_for(Session, "after_commit")
def _dispatch_committed(session: Session) -> None:
    for run_id, agency_id, kind, public_id in session.info.pop(DISPATCH, ()):
        if _dispatcher is None:
            log.warning("job run %s (%s) recorded but no dispatcher is installed: it stays queued", run_id, kind)
            continue
        _dispatcher(run_id, agency_id, kind, public_id)


@event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(DISPATCH, None)


def by_public_id(session: Session, public_id: str, *, org_id: int | None = None,
                 kinds: Iterable[str] | None = None) -> JobRun | None:
    """A run by its public id; with `org_id` and `kinds`, only a run of that organisation and of those kinds."""
    stmt = select(JobRun).where(JobRun.public_id == public_id)
    if org_id is not None:
        stmt = stmt.where(JobRun.org_id == org_id)
    if kinds is not None:
        stmt = stmt.where(JobRun.kind.in_(tuple(kinds)))
    return session.scalar(stmt)


def get(session: Session, run_id: int) -> JobRun | None:
    return session.get(JobRun, run_id)


def organisation_of(session: Session, run: JobRun) -> Organisation | None:
    """The organisation a run works on; None for agency-wide work (an audit export, a clean-up)."""
    return session.get(Organisation, run.org_id) if run.org_id is not None else None


def set_progress(session: Session, run_id: int, progress: int, message: str | None = None) -> None:
    session.execute(update(JobRun).where(JobRun.id == run_id)
                    .values(progress=max(0, min(100, progress)), message=message))


def start(session: Session, run_id: int) -> None:
    session.execute(update(JobRun).where(JobRun.id == run_id)
                    .values(status="running", started_at=utcnow(), error=None, progress=0))


def finish(session: Session, run_id: int, result: dict | None) -> None:
    session.execute(update(JobRun).where(JobRun.id == run_id)
                    .values(status="done", progress=100, result=result, finished_at=utcnow()))


def fail(session: Session, run_id: int, error: str, cause: BaseException | None = None) -> None:
    """Mark a run failed. `error` is for operators (the exception, the traceback); when `cause` is a
    DomainError its template and parameters are kept for the run's page (`failure`), which otherwise shows a
    generic message."""
    session.execute(update(JobRun).where(JobRun.id == run_id)
                    .values(status="failed", error=error[:4000], failure=failure_of(cause), finished_at=utcnow()))


def failure_of(exc: BaseException | None) -> dict | None:
    """What a reader may be told about a failure: a DomainError's template and parameters (as text), or None."""
    if not isinstance(exc, DomainError):
        return None
    return {"template": exc.template, "params": {k: str(v) for k, v in exc.params.items()}}


def attach_file(session: Session, run_id: int, filename: str, content_type: str, content: bytes) -> JobFile:
    f = JobFile(job_run_id=run_id, filename=filename, content_type=content_type, content=content)
    session.add(f)
    return f


def file_of(session: Session, run: JobRun) -> JobFile | None:
    return session.scalar(select(JobFile).where(JobFile.job_run_id == run.id).order_by(JobFile.id.desc()))


def recent(session: Session, kinds: Iterable[str] | None = None, limit: int = 10, *,
           org_id: int | None = None) -> list[JobRun]:
    """The newest runs, of `kinds` and of one organisation when given."""
    stmt = select(JobRun).order_by(JobRun.created_at.desc()).limit(limit)
    if kinds is not None:
        stmt = stmt.where(JobRun.kind.in_(tuple(kinds)))
    if org_id is not None:
        stmt = stmt.where(JobRun.org_id == org_id)
    return list(session.scalars(stmt))
