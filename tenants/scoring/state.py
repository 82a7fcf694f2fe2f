"""An organisation's scoring stamps and run results."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenants.agency import jobs
from tenants.agency.models import JobRun, Organisation
from tenants.scoring.models import OrgScore


@dataclass
class RunResult:
    members: int = 0
    member_days: int = 0
    stage_changes: int = 0
    version: int = 0
    more: bool = False        # incremental: the chunk was full, so more may be pending

    def as_dict(self) -> dict:
        return {"members": self.members, "member_days": self.member_days, "stage_changes": self.stage_changes,
                "version": self.version}


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


def org_and_state(session: Session, slug: str) -> tuple[Organisation, OrgScore | None, JobRun | None] | None:
    """The organisation by its slug, its scoring stamps and its queued or running recompute, if any: one query
    for what the dashboard and its status line need first (the job row is read only while there is one)."""
    running = (select(JobRun.id).where(JobRun.org_id == Organisation.id, JobRun.kind.in_(SCORE_JOBS),
                                       JobRun.status.in_(("queued", "running")))
               .order_by(JobRun.id.desc()).limit(1).correlate(Organisation).scalar_subquery())
    row = session.execute(select(Organisation, OrgScore, running)
                          .outerjoin(OrgScore, OrgScore.org_id == Organisation.id)
                          .where(Organisation.slug == slug)).first()
    if row is None:
        return None
    return row[0], row[1], (session.get(JobRun, row[2]) if row[2] is not None else None)
