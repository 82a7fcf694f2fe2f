"""Jobs through a real RQ worker process: JobRun progress, results, failures, tenant scope."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from tenants.agency.models import JobRun
from tenants.core.context import TenantScopeError, tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support import factories
from tests.support.http import login, post
from tests.support.workers import work_burst
from workers import enqueue
from workers.runner import run


def _run(public_id: str) -> JobRun:
    with system_scope() as s:
        row = s.scalar(select(JobRun).where(JobRun.public_id == public_id))
        s.expunge(row)
        return row


def test_audit_export_through_a_real_worker(client, worker_env):
    a = factories.agency("Acme", "o@acme.test")
    factories.org(a, "=HYPERLINK(\"evil\")")
    login(client, "o@acme.test")
    r = post(client, "/acme/audit/export", htmx=True)
    assert r.status_code == 200
    job_id = r.text.split('id="job-')[1].split('"')[0]
    running = client.get(f"/acme/jobs/{job_id}", headers={"HX-Request": "true"})
    assert 'hx-trigger="load delay:800ms"' in running.text          # still polling while queued
    proc = work_burst(worker_env)
    assert proc.returncode == 0, proc.stderr
    run_row = _run(job_id)
    assert (run_row.status, run_row.progress, run_row.error) == ("done", 100, None)
    done = client.get(f"/acme/jobs/{job_id}", headers={"HX-Request": "true"})
    assert "hx-trigger" not in done.text and "data-testid=\"job-done\"" in done.text   # polling stops
    download = client.get(f"/acme/jobs/{job_id}/download")
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert rows[0] == ["at", "action", "actor", "target", "ip", "details"]
    targets = [r[3] for r in rows[1:]]
    assert "'=HYPERLINK(\"evil\")" in targets                         # formula escaped
    assert run_row.result["rows"] == len(rows) - 1


def test_failing_job_records_the_error(worker_env):
    a = factories.agency("Acme", "o@acme.test")
    with tenant_scope(a.id), job_session() as s:
        job = enqueue(s, "test_boom", params={"reason": "disk on fire"})
        public_id = job.public_id
    proc = work_burst(worker_env)
    assert proc.returncode == 0
    row = _run(public_id)
    assert row.status == "failed"
    assert "RuntimeError: disk on fire" in row.error
    assert row.progress == 40 and row.finished_at is not None


def test_job_runs_inside_its_tenant_scope(worker_env):
    a = factories.agency("Acme", "o@acme.test")
    b = factories.agency("Beta", "o@beta.test")
    factories.org(a, "Acme Org")
    factories.org(b, "Beta Org")
    with tenant_scope(a.id), job_session() as s:
        public_id = enqueue(s, "test_count_orgs").public_id
    assert work_burst(worker_env).returncode == 0
    assert _run(public_id).result == {"orgs": ["Acme Org"]}


def test_job_without_tenant_or_with_another_tenant_refuses_to_run():
    a = factories.agency("Acme", "o@acme.test")
    b = factories.agency("Beta", "o@beta.test")
    with tenant_scope(a.id), job_session() as s:
        from tenants.agency import jobs
        job = jobs.create(s, "test_count_orgs", None, {}, None)
        s.flush()
        run_id = job.id
    with pytest.raises(TenantScopeError):
        run(run_id, None)
    with pytest.raises(TenantScopeError):
        run(run_id, b.id)          # the JobRun is invisible from agency B
    assert _run(job.public_id).status == "queued"


def test_enqueue_outside_a_tenant_is_refused():
    factories.agency("Acme", "o@acme.test")
    with job_session() as s, pytest.raises(TenantScopeError):
        enqueue(s, "audit_export")


def test_scheduler_runs_each_schedule_once_per_day_even_with_two_schedulers(worker_env):
    from datetime import UTC, datetime

    from workers.scheduler import tick
    a = factories.agency("Acme", "o@acme.test")
    b = factories.agency("Beta", "o@beta.test")
    orgs = [factories.org(a, "One").id, factories.org(a, "Two").id, factories.org(b, "Three").id]
    night = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert tick(night) == ["score_full", "agency_cleanup", "purge_accounts", "event_survey"]
    assert tick(night) == []                                   # a second scheduler finds the day (and hour) taken
    with system_scope() as s:
        runs = s.scalars(select(JobRun.agency_id).where(JobRun.kind == "agency_cleanup")).all()
        scored = s.scalars(select(JobRun.org_id).where(JobRun.kind == "score_full")).all()
    assert len(runs) == 2 and len(set(runs)) == 2              # one job per agency
    assert sorted(scored) == sorted(orgs)                      # and one recompute per organisation
    morning = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    assert tick(morning) == ["score_daily", "segment_snapshot", "leader_candidates", "event_survey"]
    with system_scope() as s:
        suggested = s.scalars(select(JobRun.org_id).where(JobRun.kind == "leader_candidates")).all()
    assert sorted(suggested) == sorted(orgs)                   # one candidates run per organisation
    assert work_burst(worker_env).returncode == 0
    with system_scope() as s:
        assert set(s.scalars(select(JobRun.status))) == {"done"}


def test_queued_jobs_the_queue_lost_are_marked_failed(worker_env):
    from datetime import timedelta

    from redis import Redis
    from sqlalchemy import update

    from tenants.core.base import utcnow
    from workers.scheduler import reap_dead_jobs
    a = factories.agency("Acme", "o@acme.test")
    with tenant_scope(a.id), job_session() as s:
        lost = enqueue(s, "audit_export").public_id
        alive = enqueue(s, "audit_export").public_id
    with system_scope() as s:
        s.execute(update(JobRun).values(created_at=utcnow() - timedelta(minutes=10)))
    from tenants.core.config import get_settings
    Redis.from_url(get_settings().redis_url).delete(f"rq:job:jobrun-{lost}")   # a Redis that lost its data
    assert reap_dead_jobs() == 1
    assert _run(lost).status == "failed" and "WorkerLost" in _run(lost).error
    assert _run(lost).failure == {"code": "lost"}
    assert _run(alive).status == "queued"            # still queued in RQ: left alone


def test_import_job_cannot_read_another_agencys_upload():
    from tenants.agency import jobs as job_service
    from tenants.community.models import Activity, Upload
    a = factories.agency("Acme", "o@acme.test")
    b = factories.agency("Beta", "o@beta.test")
    oa, ob = factories.org(a, "A org"), factories.org(b, "B org")
    with tenant_scope(a.id, oa.id), job_session() as s:
        up = Upload(org_id=oa.id, filename="a.csv", kind="csv", size=10,
                    content=b"id,type,date\n1,message,2026-05-01T10:00:00Z\n")
        s.add(up)
        s.flush()
        upload_id = up.id
    with tenant_scope(b.id, ob.id), job_session() as s:
        run_id = job_service.create(s, "csv_import", ob.id, {
            "upload_id": upload_id, "kind": "activities", "mapping": ["external_id", "type", "occurred_at"],
            "default_channel": "vk"}, None).id
    with pytest.raises(LookupError):
        run(run_id, b.id)                      # B's job, A's upload id: not found in B's scope
    with system_scope() as s:
        assert s.scalar(select(JobRun.status).where(JobRun.id == run_id)) == "failed"
        assert s.scalars(select(Activity)).all() == []


def test_running_jobs_whose_heartbeat_stopped_are_failed_as_lost():
    from datetime import timedelta

    from sqlalchemy import func, update

    from tenants.agency import jobs as job_service
    from workers.scheduler import reap_dead_jobs
    a = factories.agency("Acme", "o@acme.test")
    b = factories.agency("Beta", "o@beta.test")
    ids = {}
    for agency, name in ((a, "silent"), (a, "beating"), (b, "other")):
        with tenant_scope(agency.id), job_session() as s:
            run_ = job_service.create(s, "audit_export", None, {}, None)
            job_service.start(s, run_.id)
            ids[name] = run_.public_id
    stale = func.now() - (job_service.LOST_AFTER + timedelta(seconds=1))
    with system_scope() as s:
        s.execute(update(JobRun).where(JobRun.public_id.in_([ids["silent"], ids["other"]]))
                  .values(heartbeat_at=stale))
    with tenant_scope(a.id), job_session() as s:        # on read, in a tenant's scope: that tenant's run only
        assert job_service.check_alive(s, job_service.by_public_id(s, ids["silent"])).status == "failed"
    assert (_run(ids["other"]).status, _run(ids["beating"]).status) == ("running", "running")
    assert reap_dead_jobs() == 1                        # the scheduler: every agency's silent runs
    assert _run(ids["other"]).failure == {"code": "lost"} and _run(ids["beating"]).status == "running"
