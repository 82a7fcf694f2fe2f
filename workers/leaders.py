"""Starting the leader candidates job without starting it twice, for the leader list's button and the nightly
schedule. Commits. Imports tenants/, never web/."""
from __future__ import annotations

from sqlalchemy.orm import Session

from tenants.agency import jobs
from tenants.agency.models import JobRun

from .scoring import ACTIVE


def request_candidates(session: Session, org_id: int, created_by: int | None = None) -> JobRun:
    """The organisation's candidates computed again: the run queued or running already, else a new one."""
    run, _started = jobs.request(session, jobs.LEADER_CANDIDATES, org_id, ACTIVE, created_by)
    jobs.commit(session)
    return run
