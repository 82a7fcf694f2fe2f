"""An organisation's scoring stamps and run results."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, true
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tenants.agency import jobs
from tenants.agency.models import JobRun, Organisation
from tenants.scoring.models import OrgScore

REPORTED = 50     # member ids a run's result lists of each kind (the log and the count have them all)


@dataclass
class RunResult:
    members: int = 0
    member_days: int = 0
    stage_changes: int = 0
    version: int = 0
    more: bool = False        # incremental: the chunk was full, so more may be pending
    # Members with stored values scoring does not count (activity dated outside 2000 to now, an own weight
    # outside 0-1000, negative followers): the rest of their data is scored, those values are left out.
    ignored: list[int] = field(default_factory=list)
    # Members whose scoring failed on their data: left as they were, their queue rows taken out.
    failed: list[int] = field(default_factory=list)

    def add(self, other: RunResult) -> None:
        self.members += other.members
        self.member_days += other.member_days
        self.stage_changes += other.stage_changes
        self.version = other.version or self.version
        self.add_ignored(other.ignored)
        self.failed.extend(m for m in other.failed if m not in self.failed)

    def add_ignored(self, members: list[int]) -> None:
        self.ignored.extend(m for m in members if m not in self.ignored)

    def as_dict(self) -> dict:
        out = {"members": self.members, "member_days": self.member_days, "stage_changes": self.stage_changes,
               "version": self.version}
        for name, ids in (("ignored", self.ignored), ("failed", self.failed)):
            if ids:
                out[f"{name}_count"], out[f"{name}_members"] = len(ids), sorted(ids)[:REPORTED]
        return out


def data_error(exc: DBAPIError) -> bool:
    """An error PostgreSQL raised on the values it computed with (SQLSTATE class 22, data exception, or 23,
    integrity violation), not on the connection, a lock or the statement's text."""
    return str(getattr(exc.orig, "sqlstate", "") or "")[:2] in ("22", "23")


def touch(session: Session, org_id: int, **stamps: datetime) -> None:
    row = session.scalar(select(OrgScore).where(OrgScore.org_id == org_id))
    if row is None:
        row = OrgScore(org_id=org_id)
        session.add(row)
    for name, value in stamps.items():
        setattr(row, name, value)
    session.flush()


def state(session: Session, org_id: int) -> OrgScore | None:
    return session.scalar(select(OrgScore).where(OrgScore.org_id == org_id))


SCORE_JOBS = (jobs.SCORE_FULL, jobs.SCORE_DAILY)
ACTIVE = ("queued", "running")


def org_and_state(session: Session, slug: str) -> tuple[Organisation, OrgScore | None, JobRun | None] | None:
    """The organisation by its slug, its scoring stamps and the scoring run its status line reports on: one
    query for what the dashboard and its status line need first. The run is the queued or running recompute
    (or daily pass) if there is one, else the last one to finish if it failed, else None; its row is read only
    then."""
    latest = (select(JobRun.id, JobRun.status)
              .where(JobRun.org_id == Organisation.id, JobRun.kind.in_(SCORE_JOBS))
              .order_by(JobRun.status.in_(ACTIVE).desc(), JobRun.id.desc()).limit(1)
              .lateral("latest_run"))
    row = session.execute(select(Organisation, OrgScore, latest.c.id, latest.c.status)
                          .outerjoin(OrgScore, OrgScore.org_id == Organisation.id)
                          .outerjoin(latest, true())
                          .where(Organisation.slug == slug)).first()
    if row is None:
        return None
    org, score, run_id, status = row
    shown = run_id is not None and status in (*ACTIVE, "failed")
    return org, score, (session.get(JobRun, run_id) if shown else None)
