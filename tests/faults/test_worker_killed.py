"""A worker host killed with its job: the run stops sending its heartbeat, its page says it failed (lost) within
the heartbeat window and offers to run it again; the killed job's transaction is gone with its connection, and
running it again stores its work once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tenants.agency import jobs
from tenants.agency.models import JobRun
from tenants.community.ingest import ingest
from tenants.community.models import Activity, Member
from tenants.community.validate import parse_activity
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support import factories, faults
from tests.support.http import login, post
from tests.support.workers import work_burst
from workers import enqueue

HX = {"HX-Request": "true"}


def item(ext: str, source: str, days_ago: int = 1) -> dict:
    when = (utcnow() - timedelta(days=days_ago)).isoformat()
    return {"member": {"channel": "telegram", "external_id": ext, "display_name": ext.title()},
            "type": "message", "occurred_at": when, "source_id": source}


def state(org_id: int) -> tuple[int, int, int]:
    """Activities stored, activities counted on members, members: what a lost or doubled batch would change."""
    with system_scope() as s:
        return (s.scalar(select(func.count()).select_from(Activity).where(Activity.org_id == org_id)),
                s.scalar(select(func.coalesce(func.sum(Member.activity_count), 0)).where(Member.org_id == org_id)),
                s.scalar(select(func.count()).select_from(Member).where(Member.org_id == org_id)))


def row(public_id: str) -> JobRun:
    with system_scope() as s:
        run = s.scalar(select(JobRun).where(JobRun.public_id == public_id))
        s.expunge(run)
        return run


def failed_page(client, path: str) -> str | None:
    text = client.get(path, headers=HX).text
    return text if 'data-testid="job-failed"' in text else None


def test_a_killed_worker_s_job_shows_failed_and_runs_again_once(client, worker_env, tmp_path, monkeypatch):
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    with tenant_scope(a.id, o.id), job_session() as s:
        ingest(s, o.id, [parse_activity(item("ann", f"old-{i}", i + 1)) for i in range(4)], rescore=False)
    factories.settle(a, o)
    before = state(o.id)
    gate = tmp_path / "gate"
    gate.write_text("hold")
    new = [item("bob", "new-1"), item("bob", "new-2"), item("ann", "new-3")]
    with tenant_scope(a.id, o.id), job_session() as s:
        job_id = enqueue(s, "test_stall", org_id=o.id, params={"items": new, "gate": str(gate)}).public_id
    login(client, "o@acme.test")

    w = faults.worker(dict(worker_env, COMMUNA_JOB_HEARTBEAT_SECONDS="0.2"), tmp_path / "worker.log")
    try:
        faults.wait_until(lambda: row(job_id).progress == 20, "the job to store its batch (uncommitted)")
        first = row(job_id).heartbeat_at
        faults.wait_until(lambda: row(job_id).heartbeat_at > first, "the running job's next heartbeat")
        running = client.get(f"/acme/jobs/{job_id}", headers=HX).text
        assert 'data-testid="job-progress"' in running and "20%" in running
        horse = [pid for pid in w.session_pids() if pid != w.proc.pid]
        assert horse                                # the job runs in RQ's work horse, a process of its own
    finally:
        w.kill()                # the worker and its work horse, as a host that died
    faults.wait_until(lambda: not w.session_pids(), "the worker and its horse to be gone")
    assert row(job_id).status == "running"         # nothing ran to say otherwise...
    assert state(o.id) == before                   # ...and the batch it had not committed is gone

    monkeypatch.setattr(jobs, "LOST_AFTER", timedelta(seconds=2))       # the heartbeat window, shortened
    page = faults.wait_until(lambda: failed_page(client, f"/acme/jobs/{job_id}"), "the page to say it failed", 30)
    assert "the worker running it was lost" in page and 'data-testid="job-rerun"' in page
    assert "load delay" not in page                # polling stops
    assert row(job_id).failure == {"code": jobs.LOST}

    gate.unlink()
    pressed = post(client, f"/acme/jobs/{job_id}/rerun")
    assert pressed.status_code == 302
    again_id = pressed.headers["Location"].rsplit("/", 1)[1]
    assert again_id != job_id
    assert post(client, f"/acme/jobs/{job_id}/rerun").headers["Location"] == pressed.headers["Location"]  # joins
    assert 'data-testid="job-rerun-started"' in client.get(f"/acme/jobs/{job_id}").text
    assert work_burst(worker_env).returncode == 0
    done = row(again_id)
    assert (done.kind, done.params["items"], done.status) == ("test_stall", new, "done")
    assert done.result == {"accepted": 3}
    assert state(o.id) == (before[0] + 3, before[1] + 3, before[2] + 1)     # stored once, counted once
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(JobRun).where(JobRun.kind == "test_stall")) == 2
