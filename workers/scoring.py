"""Starting scoring work without starting it twice. Imports tenants/, never web/."""
from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tenants.agency import jobs
from tenants.agency.models import JobRun, Organisation
from tenants.core import audit, locks
from tenants.core.audit import Actor

from . import enqueue

INCREMENTAL, FULL, DAILY = jobs.SCORE_INCREMENTAL, jobs.SCORE_FULL, jobs.SCORE_DAILY


def waiting(session: Session, org_id: int, kind: str, statuses: tuple[str, ...]) -> JobRun | None:
    # Two requests at once: the second waits here, then finds the first's run.
    session.execute(text("SELECT pg_advisory_xact_lock(:k, CAST(:org AS integer))"),
                    {"k": locks.JOB_REQUEST, "org": org_id})
    return session.scalar(select(JobRun).where(JobRun.org_id == org_id, JobRun.kind == kind,
                                               JobRun.status.in_(statuses)).order_by(JobRun.id.desc()).limit(1))


def request_incremental(session: Session, org_id: int) -> JobRun:
    """After an ingest batch commits. A run still waiting in the queue will pick this batch up too."""
    busy = waiting(session, org_id, INCREMENTAL, ("queued",))
    if busy is not None:
        session.commit()
        return busy
    return enqueue(session, INCREMENTAL, org_id=org_id)


def request_full(session: Session, org_id: int, created_by: int | None = None,
                 actor: Actor | None = None) -> tuple[JobRun, bool]:
    """The recompute button, a saved scoring model, the nightly schedule and the CLI. Returns (run, started):
    while a full recompute of the organisation is queued or running, that run is returned and nothing new
    starts. With `actor` (a person pressed Recompute) a start is recorded in the audit log, in the same commit."""
    busy = waiting(session, org_id, FULL, ("queued", "running"))
    if busy is not None:
        session.commit()
        return busy, False
    if actor is not None:
        audit.record(session, "recompute_started", actor, target=session.get(Organisation, org_id).name)
    return enqueue(session, FULL, org_id=org_id, created_by=created_by), True


def request_daily(session: Session, org_id: int) -> JobRun:
    busy = waiting(session, org_id, DAILY, ("queued", "running"))
    if busy is not None:
        session.commit()
        return busy
    return enqueue(session, DAILY, org_id=org_id)
