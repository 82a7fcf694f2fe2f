"""Why an organisation needs attention: each reason with what the page that fixes it needs.

Reasons, in the order they are listed:
- no_data: no activity for NO_DATA_DAYS days (or none at all, once the organisation is older than that);
- at_risk_up: the at-risk share rose by AT_RISK_RISE percentage points or more against BEFORE_DAYS earlier;
- goal_behind: a goal is behind its even pace to the due date;
- report_waiting: a draft report has waited REPORT_WAITING_DAYS days or more for approval;
- leader_quiet: an active opinion leader has gone quiet (tenants.leaders: the organisation's quiet days);
- import_failed: an import failed in the last IMPORT_DAYS days.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenants.agency.jobs import IMPORT_KINDS
from tenants.agency.models import JobRun, Organisation
from tenants.core.base import utcnow
from tenants.goals import status_counts as goal_status_counts
from tenants.leaders.leaders import quiet_counts
from tenants.portfolio.figures import Figures
from tenants.reports.models import DRAFT, Report

NO_DATA_DAYS = 7
AT_RISK_RISE = 2.0          # percentage points of the at-risk share, against BEFORE_DAYS earlier
REPORT_WAITING_DAYS = 3
IMPORT_DAYS = 7
REASONS = ("no_data", "at_risk_up", "goal_behind", "report_waiting", "leader_quiet", "import_failed")


@dataclass(frozen=True)
class Reason:
    code: str                       # one of REASONS
    count: int | None = None        # goals behind, reports waiting, quiet leaders, failed imports
    value: float | None = None      # at_risk_up: the rise in points
    job_id: str | None = None       # import_failed: the latest failed run's public id


def _goal_counts(session: Session, org_ids: list[int]) -> dict[int, dict[str, int]]:
    """Goals on track / at risk / behind per organisation: {org_id: {"on_track", "at_risk", "behind"}}."""
    return goal_status_counts(session, org_ids) if org_ids else {}


def _reports_waiting(session: Session, org_ids: list[int], now: datetime | None = None) -> dict[int, int]:
    """Reports waiting for approval per organisation: {org_id: count} of drafts generated REPORT_WAITING_DAYS
    days ago or more."""
    if not org_ids:
        return {}
    cutoff = (now or utcnow()) - timedelta(days=REPORT_WAITING_DAYS)
    return dict(session.execute(
        select(Report.org_id, func.count()).where(Report.org_id.in_(org_ids), Report.status == DRAFT,
                                                  Report.generated_at <= cutoff).group_by(Report.org_id)).all())


def failed_imports(session: Session, org_ids: list[int], now: datetime) -> dict[int, tuple[int, str]]:
    """Imports that failed in the last IMPORT_DAYS days: {org_id: (how many, the latest one's public id)}."""
    if not org_ids:
        return {}
    rows = session.execute(
        select(JobRun.org_id, JobRun.public_id, func.count().over(partition_by=JobRun.org_id),
               func.row_number().over(partition_by=JobRun.org_id,
                                      order_by=(JobRun.created_at.desc(), JobRun.id.desc())))
        .where(JobRun.org_id.in_(org_ids), JobRun.kind.in_(IMPORT_KINDS), JobRun.status == "failed",
               JobRun.created_at >= now - timedelta(days=IMPORT_DAYS))).all()
    return {org_id: (n, public_id) for org_id, public_id, n, rank in rows if rank == 1}


def reasons(org: Organisation, f: Figures, goals: dict[str, int], waiting: int, quiet: int,
            failed: tuple[int, str] | None, now: datetime) -> list[Reason]:
    """The reasons one organisation needs attention (see the module docstring), none when all is well."""
    out = []
    quiet_since = now - timedelta(days=NO_DATA_DAYS)
    if (f.last_data_at is None and org.created_at < quiet_since) or (f.last_data_at and f.last_data_at < quiet_since):
        out.append(Reason("no_data"))
    if f.at_risk_share is not None and f.at_risk_share_before is not None \
            and f.at_risk_share - f.at_risk_share_before >= AT_RISK_RISE:
        out.append(Reason("at_risk_up", value=round(f.at_risk_share - f.at_risk_share_before, 1)))
    if goals.get("behind"):
        out.append(Reason("goal_behind", count=goals["behind"]))
    if waiting:
        out.append(Reason("report_waiting", count=waiting))
    if quiet:
        out.append(Reason("leader_quiet", count=quiet))
    if failed:
        out.append(Reason("import_failed", count=failed[0], job_id=failed[1]))
    return out


def lookups(session: Session, org_ids: list[int], now: datetime) -> tuple[dict, dict, dict, dict]:
    """Goal counts, reports waiting, quiet leaders and failed imports of every organisation in `org_ids`."""
    return (_goal_counts(session, org_ids), _reports_waiting(session, org_ids, now),
            quiet_counts(session, org_ids, now), failed_imports(session, org_ids, now))
