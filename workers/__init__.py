"""RQ: the queue, enqueue() and the dispatcher. Imports tenants/, never web/.

Runs are recorded by the domain (`tenants.agency.jobs.record` / `request`) in the caller's transaction; once it
commits, `dispatch` (installed here as the domain's dispatcher) hands RQ ids only: the JobRun id and the
agency id. With no REDIS_URL the run goes to a background thread of this process (the `make run` default).
With Redis unreachable no run is recorded (`queue_ready`, asked by the domain before it records one), and a run
whose hand-over fails after its commit is marked failed by the domain (`JobsUnavailable`).
"""
from __future__ import annotations

import logging
import threading
from functools import cache

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy.orm import Session

from tenants.agency import jobs as job_service
from tenants.agency.models import JobRun
from tenants.core.config import get_settings

from .registry import JOBS, load
from .runner import run as run_job

log = logging.getLogger("communa.workers")
QUEUE_NAME = "communa"
JOB_TIMEOUT = 60 * 60


def redis_connection():
    url = get_settings().redis_url
    return Redis.from_url(url) if url else None


@cache
def _client(url: str) -> Redis:
    """The connection that enqueues, per process (redis-py's pool reconnects after a fork). Short timeouts: a
    request that starts a job must not hang on a Redis that does not answer."""
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def queue():
    url = get_settings().redis_url
    return Queue(QUEUE_NAME, connection=_client(url) if url else None, default_timeout=JOB_TIMEOUT)


def queue_ready() -> bool:
    """Whether a run handed over now would reach the queue (always, without REDIS_URL: a thread runs it)."""
    url = get_settings().redis_url
    if not url:
        return True
    try:
        return bool(_client(url).ping())
    except RedisError:
        log.warning("Redis at the queue's address does not answer: background work is unavailable")
        return False


def enqueue(session: Session, kind: str, *, org_id: int | None = None, params: dict | None = None,
            created_by: int | None = None) -> JobRun:
    """Record and start a job for the current tenant. Commits the session (the worker must see the row)."""
    load()
    if kind not in JOBS:
        raise KeyError(f"unknown job kind {kind!r}")
    run = job_service.record(session, kind, org_id, params, created_by)
    job_service.commit(session)
    return run


def dispatch(run_id: int, agency_id: int, kind: str, public_id: str) -> None:
    """Hand a committed JobRun to RQ, or without REDIS_URL to a thread of this process. Ids only."""
    if get_settings().redis_url:
        try:
            queue().enqueue_call("workers.runner.run", args=(run_id, agency_id), job_id=f"jobrun-{public_id}",
                                 description=f"{kind} agency={agency_id} run={run_id}", failure_ttl=7 * 86400)
        except RedisError as exc:
            raise job_service.JobsUnavailable(kind) from exc
        return
    thread = threading.Thread(target=run_job, args=(run_id, agency_id), name=f"job-{public_id}", daemon=True)
    _local.append(thread)
    thread.start()


_local: list[threading.Thread] = []     # jobs started on threads of this process (no REDIS_URL)


def wait_for_local_jobs() -> None:
    """Block until every job this process started on a thread has finished, including jobs those jobs
    started (a command-line import's scoring, which would otherwise die with the process)."""
    while _local:
        _local.pop().join()


job_service.set_dispatcher(dispatch, queue_ready)
