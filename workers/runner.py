"""The one entry point RQ calls: runs a JobRun inside its tenant's scope and records the outcome."""
from __future__ import annotations

import logging
import threading
import traceback
from dataclasses import dataclass

from tenants.agency import jobs as job_service
from tenants.agency.models import JobRun
from tenants.core.context import TenantScopeError, tenant_scope
from tenants.core.db import job_session

from .registry import JOBS, load

log = logging.getLogger("communa.workers")


@dataclass
class JobContext:
    run_id: int
    agency_id: int
    org_id: int | None
    created_by: int | None

    def progress(self, percent: int, message: str | None = None) -> None:
        """Visible at once to the polling page: written in its own short transaction."""
        with job_session() as s:
            job_service.set_progress(s, self.run_id, percent, message)


class Heartbeat:
    """Writes the run's heartbeat every jobs.HEARTBEAT while the job runs, from a thread: a job can spend minutes
    in one statement. When the process dies the heartbeat stops, and the run is failed as lost."""

    def __init__(self, run_id: int, agency_id: int) -> None:
        self.run_id, self.agency_id = run_id, agency_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id}", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(job_service.HEARTBEAT.total_seconds()):
            try:
                with tenant_scope(self.agency_id), job_session() as s:
                    job_service.beat(s, self.run_id)
            except Exception:  # the database may be back at the next beat; the job itself decides its fate
                log.warning("heartbeat of job run %s not written", self.run_id, exc_info=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()


def run(run_id: int, agency_id: int) -> dict | None:
    if not agency_id:
        raise TenantScopeError("a job without a tenant refuses to run")
    load()
    with tenant_scope(agency_id):
        with job_session() as s:
            job = s.get(JobRun, run_id)  # scoped: a JobRun of another agency is not found
            if job is None:
                raise TenantScopeError(f"job run {run_id} not found in agency {agency_id}")
            kind, params, org_id, created_by = job.kind, dict(job.params or {}), job.org_id, job.created_by_id
            job_service.start(s, run_id)
        fn = JOBS.get(kind)
        ctx = JobContext(run_id=run_id, agency_id=agency_id, org_id=org_id, created_by=created_by)
        try:
            if fn is None:
                raise LookupError(f"unknown job kind {kind!r}")
            with tenant_scope(agency_id, org_id), Heartbeat(run_id, agency_id):
                result = fn(ctx, **params)
        except Exception as exc:
            log.exception("job %s (%s) failed", run_id, kind)
            with job_session() as s:
                job_service.fail(s, run_id, f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=5)}", exc)
            raise
        with job_session() as s:
            job_service.finish(s, run_id, result)
        return result
