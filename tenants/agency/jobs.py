"""JobRun rows: what a background job is doing, readable by the page that polls it.

A job is recorded in the caller's transaction (`record`, or `request` for work that must not start twice) and
handed to a worker only once that transaction commits: the worker always finds the row, and a rolled-back
change starts nothing. The hand-over itself is the workers layer's (`set_dispatcher`), which this layer does
not import. When no worker can be reached a run is refused before it is recorded (`JobsUnavailable`), or, if the
queue went away between that check and the commit, marked failed (`UNAVAILABLE`): no run is left queued that
nothing will ever run. A running job writes a heartbeat; a run whose heartbeat stopped is failed as `LOST`."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import event, func, select, text, update
from sqlalchemy.orm import Session

from tenants.agency.models import JobFile, JobRun, Organisation
from tenants.core import locks
from tenants.core.base import utcnow
from tenants.core.context import require_agency_id, tenant_scope
from tenants.core.db import job_session
from tenants.core.errors import DomainError

log = logging.getLogger("communa.jobs")
DISPATCH = "jobs_to_dispatch"       # session.info key: runs recorded in the session's open transaction
UNDELIVERED = "jobs_undelivered"    # session.info key: kinds of the runs its last commit could not hand over
_dispatcher: Callable[[int, int, str, str], None] | None = None

# Job kinds: the one list. Workers register a function per kind; the web layer labels them.
AUDIT_EXPORT, AGENCY_CLEANUP = "audit_export", "agency_cleanup"
CSV_IMPORT, TELEGRAM_IMPORT = "csv_import", "telegram_import"
SCORE_INCREMENTAL, SCORE_FULL, SCORE_DAILY = "score_incremental", "score_full", "score_daily"
SEGMENT_SNAPSHOT = "segment_snapshot"
LEADER_CANDIDATES = "leader_candidates"
EVENT_SURVEY = "event_survey"
DIGEST_SEND = "digest_send"
REPORT_GENERATE = "report_generate"
IMPORT_KINDS = (CSV_IMPORT, TELEGRAM_IMPORT)
SCORING_KINDS = (SCORE_INCREMENTAL, SCORE_FULL, SCORE_DAILY)
KINDS = (AUDIT_EXPORT, AGENCY_CLEANUP, CSV_IMPORT, TELEGRAM_IMPORT, SCORE_INCREMENTAL, SCORE_FULL, SCORE_DAILY,
         SEGMENT_SNAPSHOT, LEADER_CANDIDATES, EVENT_SURVEY, DIGEST_SEND, REPORT_GENERATE)
# Work whose input waits in the database (score_pending) and which the scheduler asks for again while it waits:
# when no worker can be reached, asking for it records nothing and the caller carries on.
DEFERRABLE = (SCORE_INCREMENTAL,)
# Why a run failed when the cause was the system's, not the job's: the worker running it stopped (its heartbeat
# did), or no worker could be reached when it was started. The web layer labels them.
LOST, UNAVAILABLE = "lost", "unavailable"
FAILURE_CODES = (LOST, UNAVAILABLE)
# A running job writes its heartbeat every HEARTBEAT; one silent for LOST_AFTER is failed as lost.
HEARTBEAT = timedelta(seconds=float(os.environ.get("COMMUNA_JOB_HEARTBEAT_SECONDS") or 5))
LOST_AFTER = timedelta(seconds=float(os.environ.get("COMMUNA_JOB_LOST_AFTER_SECONDS") or 30))


class JobsUnavailable(RuntimeError):
    """No worker can be reached (the queue is down): the job was not started."""


def _always_ready() -> bool:
    return True


_ready: Callable[[], bool] = _always_ready          # can a worker be reached now? (set_dispatcher)


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
    if _dispatcher is not None and not _ready():
        raise JobsUnavailable(kind)
    run = create(session, kind, org_id, params or {}, created_by)
    session.info.setdefault(DISPATCH, []).append((run.id, agency_id, kind, run.public_id))
    return run


def request(session: Session, kind: str, org_id: int, waiting: tuple[str, ...] = ("queued",),
            created_by: int | None = None, dispatch: bool = True) -> tuple[JobRun | None, bool]:
    """Work of `kind` for the organisation, started at most once: while a run of that kind is in one of the
    `waiting` states it is returned (False) and nothing new starts; otherwise a new run is recorded (True), for
    a worker (or, with `dispatch` off, for the caller to run). Concurrent requests wait for each other on an
    advisory lock until the first commits. A DEFERRABLE kind asked for while no worker can be reached records
    nothing: (None, False)."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k, CAST(:org AS integer))"),
                    {"k": locks.JOB_REQUEST, "org": org_id})
    busy = session.scalar(select(JobRun).where(JobRun.org_id == org_id, JobRun.kind == kind,
                                               JobRun.status.in_(waiting)).order_by(JobRun.id.desc()).limit(1))
    if busy is not None:
        return busy, False
    if not dispatch:
        return create(session, kind, org_id, {}, created_by), True
    try:
        return record(session, kind, org_id, created_by=created_by), True
    except JobsUnavailable:
        if kind not in DEFERRABLE:
            raise
        log.warning("no worker can be reached: %s of organisation %s waits for the next request", kind, org_id)
        return None, False


def set_dispatcher(dispatch: Callable[[int, int, str, str], None], ready: Callable[[], bool] = _always_ready) -> None:
    """Install what hands a committed run (id, agency id, kind, public id) to a worker, raising JobsUnavailable
    when none can be reached, and what says beforehand whether one can (`record` refuses a run otherwise)."""
    global _dispatcher, _ready
    _dispatcher, _ready = dispatch, ready


@event.listens_for(Session, "after_commit")
def _dispatch_committed(session: Session) -> None:
    undelivered = []
    for run_id, agency_id, kind, public_id in session.info.pop(DISPATCH, ()):
        if _dispatcher is None:
            log.warning("job run %s (%s) recorded but no dispatcher is installed: it stays queued", run_id, kind)
            continue
        try:
            _dispatcher(run_id, agency_id, kind, public_id)
        except JobsUnavailable:
            log.exception("job run %s (%s) could not be handed to a worker", run_id, kind)
            undelivered.append(kind)
            with tenant_scope(agency_id), job_session() as s:    # committed but never queued: failed, not waiting
                fail_for(s, run_id, UNAVAILABLE, "QueueUnavailable: the job could not be queued")
    if undelivered:
        session.info[UNDELIVERED] = undelivered


def commit(session: Session) -> None:
    """Commit, which hands the runs recorded meanwhile to workers; raises JobsUnavailable afterwards when one
    (other than DEFERRABLE work) could not be handed over: that run is failed, and the caller says so."""
    session.info.pop(UNDELIVERED, None)
    session.commit()
    undelivered = [kind for kind in session.info.pop(UNDELIVERED, ()) if kind not in DEFERRABLE]
    if undelivered:
        raise JobsUnavailable(", ".join(undelivered))


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
                    .values(status="running", started_at=utcnow(), heartbeat_at=func.now(), error=None, progress=0))


def beat(session: Session, run_id: int) -> None:
    """The running job is alive (written by a thread of the process running it, every HEARTBEAT)."""
    session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status == "running")
                    .values(heartbeat_at=func.now()))


def fail_lost(session: Session, run_id: int | None = None, lost_after: timedelta | None = None) -> list[int]:
    """Fail running runs (of the current scope; one with `run_id`) whose heartbeat is older than `lost_after`: the
    process running them died with them. Their own transactions rolled back with the connection. Returns the ids.
    Compared with the database's clock, which wrote the heartbeats."""
    stmt = (update(JobRun).where(JobRun.status == "running",
                                 func.coalesce(JobRun.heartbeat_at, JobRun.started_at)
                                 < func.now() - (lost_after or LOST_AFTER))
            .values(status="failed", failure={"code": LOST}, finished_at=utcnow(),
                    error="WorkerLost: the process running this job stopped sending its heartbeat")
            .returning(JobRun.id).execution_options(synchronize_session=False))
    if run_id is not None:
        stmt = stmt.where(JobRun.id == run_id)
    return list(session.scalars(stmt))


def silent(run: JobRun, now: datetime | None = None) -> bool:
    """Whether a run looks lost to this process's clock (`fail_lost` decides, by the database's)."""
    last = run.heartbeat_at or run.started_at
    return run.status == "running" and last is not None and (now or utcnow()) - last > LOST_AFTER


def check_alive(session: Session, run: JobRun) -> JobRun:
    """On reading a run: one that stopped sending its heartbeat is failed as lost now, not when the scheduler
    next looks. Costs nothing for a live run."""
    if silent(run) and fail_lost(session, run.id):
        session.refresh(run)
    return run


def finish(session: Session, run_id: int, result: dict | None) -> None:
    session.execute(update(JobRun).where(JobRun.id == run_id)
                    .values(status="done", progress=100, result=result, finished_at=utcnow()))


def fail(session: Session, run_id: int, error: str, cause: BaseException | None = None) -> None:
    """Mark a run failed. `error` is for operators (the exception, the traceback); when `cause` is a
    DomainError its template and parameters are kept for the run's page (`failure`), which otherwise shows a
    generic message."""
    session.execute(update(JobRun).where(JobRun.id == run_id)
                    .values(status="failed", error=error[:4000], failure=failure_of(cause), finished_at=utcnow()))


def fail_for(session: Session, run_id: int, code: str, error: str) -> None:
    """Mark a queued or running run failed for a system reason (one of FAILURE_CODES)."""
    session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status.in_(("queued", "running")))
                    .values(status="failed", error=error, failure={"code": code}, finished_at=utcnow()))


def failure_of(exc: BaseException | None) -> dict | None:
    """What a reader may be told about a failure: a DomainError's template and parameters (as text), or None."""
    if not isinstance(exc, DomainError):
        return None
    return {"template": exc.template, "params": {k: str(v) for k, v in exc.params.items()}}


def rerun_of(session: Session, failed: JobRun) -> JobRun | None:
    """The run already started again from `failed`, if any. Locks `failed` until the caller commits, so that two
    "Run again" clicks at once start one run: the second waits here and finds the first's."""
    rerun_id = session.scalar(select(JobRun.rerun_id).where(JobRun.id == failed.id).with_for_update())
    return session.get(JobRun, rerun_id) if rerun_id is not None else None


def link_rerun(session: Session, failed: JobRun, again: JobRun) -> None:
    session.execute(update(JobRun).where(JobRun.id == failed.id).values(rerun_id=again.id)
                    .execution_options(synchronize_session=False))
    failed.rerun_id = again.id


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
