"""Recurring work. Each schedule runs once per period: a Redis `SET NX` on (schedule, period) means a
second scheduler started by mistake finds the period taken and enqueues nothing."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import exists, select

from tenants.accounts import users
from tenants.accounts.models import Agency
from tenants.agency import jobs
from tenants.agency.models import JobRun, Organisation
from tenants.community.models import ScorePending
from tenants.core import mail
from tenants.core.base import utcnow
from tenants.core.config import get_settings
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.digest import service as digest
from tenants.events import survey

from . import enqueue, redis_connection
from .leaders import request_candidates
from .reports import monthly as monthly_report
from .scoring import ACTIVE, request_daily, request_full, request_incremental

log = logging.getLogger("communa.scheduler")


@dataclass(frozen=True)
class Schedule:
    name: str
    hour: int  # UTC hour of day after which the daily run is due
    action: Callable[[], int]
    hourly: bool = False    # due every hour (from `hour` on), claimed per hour instead of per day
    monthly: bool = False   # due from the 1st of the month (from `hour` on), claimed per month


def _per_agency(kind: str) -> Callable[[], int]:
    def fan_out() -> int:
        with system_scope() as s:
            agency_ids = list(s.scalars(select(Agency.id)))
        for agency_id in agency_ids:
            with tenant_scope(agency_id), job_session() as session:
                enqueue(session, kind)
        return len(agency_ids)
    return fan_out


def _purge_accounts() -> int:
    """Global tables: dead reset links and sessions; mails' expired links and old mails."""
    with job_session() as s:
        counts = users.purge_expired(s) | mail.purge(s, get_settings().outbox_retention_days)
    log.info("purged %s", counts)
    return sum(counts.values())


def _per_org(request: Callable) -> Callable[[], int]:
    """One job per active organisation of every agency (each in its own tenant scope)."""
    def fan_out() -> int:
        with system_scope() as s:
            pairs = list(s.execute(select(Organisation.agency_id, Organisation.id)
                                   .where(Organisation.archived_at.is_(None))))
        for agency_id, org_id in pairs:
            with tenant_scope(agency_id, org_id), job_session() as session:
                request(session, org_id)
        return len(pairs)
    return fan_out


def _full(session, org_id: int) -> None:
    request_full(session, org_id)


def _daily(session, org_id: int) -> None:
    request_daily(session, org_id)


def _event_follow_ups() -> int:
    """An `event_survey` run for each active organisation with an ended event not yet followed up (none for the
    others); a run already queued or running is joined."""
    with system_scope() as s:
        pairs = survey.due_orgs(s)
    for agency_id, org_id in pairs:
        with tenant_scope(agency_id, org_id), job_session() as session:
            jobs.request(session, jobs.EVENT_SURVEY, org_id, ACTIVE)
            jobs.commit(session)
    return len(pairs)


def weekly_digests(now: datetime | None = None) -> int:
    """On Mondays, a digest run for each organisation whose weekly digest is on and not paused."""
    if (now or utcnow()).weekday() != 0:
        return 0
    with system_scope() as s:
        pairs = digest.weekly_orgs(s)
    for agency_id, org_id in pairs:
        with tenant_scope(agency_id, org_id), job_session() as session:
            jobs.record(session, jobs.DIGEST_SEND, org_id, {"kind": "weekly"})
            jobs.commit(session)
    return len(pairs)


def _segments(session, org_id: int) -> None:
    jobs.request(session, jobs.SEGMENT_SNAPSHOT, org_id, ACTIVE)
    jobs.commit(session)


SCHEDULES = (
    Schedule(jobs.SCORE_FULL, 1, _per_org(_full)),           # nightly: rebuild rollups and scores
    Schedule(jobs.SCORE_DAILY, 5, _per_org(_daily)),         # stages follow decay; at-risk; today's metrics
    Schedule(jobs.SEGMENT_SNAPSHOT, 6, _per_org(_segments)),  # after the daily pass: segments' day counted
    Schedule(jobs.LEADER_CANDIDATES, 6, _per_org(request_candidates)),   # after the daily pass's influence
    Schedule(jobs.AGENCY_CLEANUP, 2, _per_agency(jobs.AGENCY_CLEANUP)),
    Schedule("purge_accounts", 2, _purge_accounts),
    Schedule(jobs.EVENT_SURVEY, 0, _event_follow_ups, hourly=True),   # surveys two hours after an event ends
    Schedule("weekly_digest", 7, weekly_digests),           # Monday morning, after the daily pass
    Schedule(jobs.REPORT_GENERATE, 7, _per_org(monthly_report), monthly=True),  # last month's report, a draft
)


def reap_dead_jobs(grace_seconds: int = 120) -> int:
    """Fail the runs nothing will finish, so their progress bar stops and offers to run them again: running runs
    whose heartbeat stopped (a killed worker host; tenants.agency.jobs.fail_lost), and queued runs whose RQ job
    failed, was stopped or vanished (a Redis that lost its data). Safe to run from every scheduler at once."""
    with system_scope() as s:
        reaped = len(jobs.fail_lost(s))
    try:
        return reaped + _reap_unqueued(grace_seconds)
    except RedisError:
        log.warning("Redis does not answer: queued runs are checked at the next tick")
        return reaped


def _reap_unqueued(grace_seconds: int) -> int:
    conn = redis_connection()
    cutoff = utcnow() - timedelta(seconds=grace_seconds)
    reaped = 0
    with system_scope() as s:
        for run in s.scalars(select(JobRun).where(JobRun.status == "queued", JobRun.created_at < cutoff)):
            try:
                status = Job.fetch(f"jobrun-{run.public_id}", connection=conn).get_status(refresh=True)
            except NoSuchJobError:
                status = None
            if status in (None, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                jobs.fail_for(s, run.id, jobs.LOST, "WorkerLost: the queue no longer holds this job")
                reaped += 1
    return reaped


def catch_up() -> int:
    """Organisations with activity waiting in score_pending and no incremental scoring queued or running get one:
    what ingest stored while no worker could be reached, or what a lost run left. Returns how many."""
    waiting = select(JobRun.id).where(JobRun.org_id == ScorePending.org_id, JobRun.kind == jobs.SCORE_INCREMENTAL,
                                      JobRun.status.in_(ACTIVE))
    with system_scope() as s:
        pairs = list(s.execute(select(ScorePending.agency_id, ScorePending.org_id).distinct()
                               .where(~exists(waiting))))
    for agency_id, org_id in pairs:
        with tenant_scope(agency_id, org_id), job_session() as session:
            request_incremental(session, org_id)
    return len(pairs)


def tick(now: datetime | None = None, schedules: tuple[Schedule, ...] = SCHEDULES) -> list[str]:
    """Run every schedule that is due and not yet claimed for today. Returns what it ran."""
    now = now or datetime.now(UTC)
    conn = redis_connection()
    if conn is None:
        raise RuntimeError("the scheduler needs REDIS_URL")
    ran = []
    if reap_dead_jobs():
        ran.append("reap_dead_jobs")
    if catch_up():
        ran.append("catch_up")
    for sched in schedules:
        if now.hour < sched.hour:
            continue
        period = now.strftime("%Y-%m-%dT%H") if sched.hourly else now.strftime("%Y-%m") if sched.monthly \
            else now.date().isoformat()
        key = f"communa:schedule:{sched.name}:{period}"
        if not conn.set(key, now.isoformat(), nx=True, ex=3 * 86400):
            continue
        count = sched.action()
        log.info("schedule %s ran (%s)", sched.name, count)
        ran.append(sched.name)
    return ran


def run_forever(interval: float = 30.0) -> None:
    log.info("scheduler started")
    while True:
        try:
            tick()
        except Exception:  # keep the scheduler alive; the next tick tries again
            log.exception("scheduler tick failed")
        time.sleep(interval)
