"""Starting report generation: from the report list's button, and for every organisation on the 1st of the
month (last month's report, a draft). Commits. Imports tenants/, never web/."""
from __future__ import annotations

from sqlalchemy.orm import Session

from tenants.agency import jobs
from tenants.agency.models import JobRun
from tenants.core.audit import Actor
from tenants.metrics.dashboard import Period
from tenants.reports import service

from . import enqueue


def start_generation(session: Session, org_id: int, p: Period, monthly: bool, actor: Actor | None = None) -> JobRun:
    """A report_generate run for the organisation and period. Commits."""
    return enqueue(session, jobs.REPORT_GENERATE, org_id=org_id,
                   params={"start": p.start.isoformat(), "end": p.end.isoformat(), "monthly": monthly},
                   created_by=actor.user_id if actor else None)


def monthly(session: Session, org_id: int) -> None:
    """Last month's report for the organisation (the scheduler's fan-out calls it in the org's tenant)."""
    start_generation(session, org_id, service.last_month(), True)


def publish(session: Session, report, actor: Actor) -> None:
    """Publish the report; a monthly report also asks for its monthly digest, recorded in the same transaction,
    so it goes out once the publication is stored (the caller commits)."""
    service.publish(session, report, actor)
    if report.monthly:
        jobs.record(session, jobs.DIGEST_SEND, report.org_id, {"kind": "monthly", "report_id": report.id},
                    actor.user_id)
