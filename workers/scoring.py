"""Starting scoring work without starting it twice (tenants.agency.jobs.request), for the views, the command
line and the schedules; each commits, which hands a new run to a worker. Imports tenants/, never web/."""
from __future__ import annotations

from sqlalchemy.orm import Session

from tenants.agency import jobs
from tenants.agency.models import JobRun, Organisation
from tenants.core import audit
from tenants.core.audit import Actor

INCREMENTAL, FULL, DAILY = jobs.SCORE_INCREMENTAL, jobs.SCORE_FULL, jobs.SCORE_DAILY
ACTIVE = ("queued", "running")


def request_incremental(session: Session, org_id: int) -> JobRun | None:
    """A run still waiting in the queue will pick up what is pending now too. None when no worker can be reached
    (what is pending waits for the scheduler's catch-up)."""
    run, _started = jobs.request(session, INCREMENTAL, org_id)
    jobs.commit(session)
    return run


def request_full(session: Session, org_id: int, created_by: int | None = None,
                 actor: Actor | None = None) -> tuple[JobRun, bool]:
    """The recompute button, a saved scoring model, the nightly schedule and the CLI. Returns (run, started):
    while a full recompute of the organisation is queued or running, that run is returned and nothing new
    starts. With `actor` (a person pressed Recompute) a start is recorded in the audit log, in the same commit."""
    run, started = jobs.request(session, FULL, org_id, ACTIVE, created_by)
    if started and actor is not None:
        audit.record(session, "recompute_started", actor, target=session.get(Organisation, org_id).name)
    jobs.commit(session)
    return run, started


def request_daily(session: Session, org_id: int) -> JobRun:
    run, _started = jobs.request(session, DAILY, org_id, ACTIVE)
    jobs.commit(session)
    return run


def record_request(session: Session, kind: str, org_id: int, actor: Actor) -> JobRun | None:
    """Scoring of `kind` asked for again by a person (a failed run's "Run again"), not committed: the run waiting
    or running already, else a new one (a recompute with its audit entry)."""
    run, started = jobs.request(session, kind, org_id, ("queued",) if kind == INCREMENTAL else ACTIVE,
                                actor.user_id)
    if started and kind == FULL:
        audit.record(session, "recompute_started", actor, target=session.get(Organisation, org_id).name)
    return run
