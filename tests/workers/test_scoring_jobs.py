"""Scoring jobs through real RQ workers: no duplicate runs, killed runs change nothing, tenant scope."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from sqlalchemy import func, select, text

from tenants import scoring
from tenants.agency.models import JobRun
from tenants.community.models import Member, ScorePending
from tenants.core.context import TenantScopeError, tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.core.models import AuditLog
from tenants.metrics.models import OrgDay
from tenants.scoring.models import OrgScore
from tests.support import factories
from tests.support.database import ADMIN_URL
from tests.support.http import login, post
from tests.support.imports import descendants
from tests.support.scoring import random_history
from tests.support.workers import work_burst
from workers.runner import run
from workers.scoring import request_full, request_incremental


def _scores(a, o) -> dict[int, tuple]:
    with tenant_scope(a.id, o.id), job_session() as s:
        return {m.id: (m.score, m.stage) for m in s.scalars(select(Member).where(Member.org_id == o.id))}


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    b = factories.agency("Beta", "o@beta.test")
    o, other = factories.org(a, "Coffee"), factories.org(b, "Tea")
    factories.ingest_into(a, o, random_history(random.Random(3), 600, "x"))
    factories.ingest_into(b, other, random_history(random.Random(4), 300, "y"))
    return a, o, b, other


def test_full_recompute_through_a_worker_and_no_duplicate_request(world, worker_env):
    a, o, b, other = world
    with tenant_scope(a.id, o.id), job_session() as s:
        first, started = request_full(s, o.id)
    with tenant_scope(a.id, o.id), job_session() as s:
        again, started_again = request_full(s, o.id)
    assert started and not started_again and again.id == first.id     # a second click joins the first run
    assert work_burst(worker_env).returncode == 0
    with system_scope() as s:
        runs = {r.kind: r for r in s.scalars(select(JobRun).where(JobRun.org_id == o.id))}
        assert runs["score_full"].status == "done" and runs["score_full"].result["members"] > 0
        assert s.scalar(select(func.count()).select_from(OrgDay).where(OrgDay.org_id == o.id)) > 0
        # The other agency's organisation was not touched by this organisation's job.
        assert s.scalar(select(func.count()).select_from(Member).where(
            Member.org_id == other.id, Member.score.is_not(None))) == 0
        assert s.scalar(select(func.count()).select_from(OrgDay).where(OrgDay.org_id == other.id)) == 0
    with tenant_scope(a.id, o.id), job_session() as s:
        _run, started = request_full(s, o.id)
    assert started                                                    # finished: a new request starts anew


def test_recompute_and_a_saved_model_are_audited_with_their_start(world, client):
    """Recompute records recompute_started in the commit that queues the run, and only when it starts one; a
    saved scoring model records scoring_model_saved with its version."""
    a, o, _b, _other = world
    login(client, "o@acme.test")
    assert post(client, "/acme/coffee/recompute", htmx=True).status_code == 200
    assert post(client, "/acme/coffee/recompute", htmx=True).status_code == 200     # joins the queued run
    form = {"half_life_days": "45", "active_weeks": "2", "tenure_days": "60", "grace_days": "14", "risk_days": "30",
            **{f"weight_{t}": str(w) for t, w in scoring.DEFAULT_WEIGHTS.items()},
            **{f"threshold_{st}": str(v) for st, v in scoring.Model().thresholds.items()}}
    assert post(client, "/acme/coffee/scoring/", form).status_code == 302
    with tenant_scope(a.id), job_session() as s:
        entries = [(e.action, e.target, e.meta) for e in s.scalars(select(AuditLog).order_by(AuditLog.id))
                   if e.action in ("recompute_started", "scoring_model_saved")]
        runs = s.scalar(select(func.count()).select_from(JobRun).where(JobRun.kind == "score_full"))
    assert entries == [("recompute_started", "Coffee", {}), ("scoring_model_saved", "Coffee", {"version": 2})]
    assert runs == 1                        # the saved model's recompute joined the one already queued


def test_incremental_after_api_ingest_runs_once(world, worker_env):
    a, o, _b, _other = world
    for _ in range(3):
        with tenant_scope(a.id, o.id), job_session() as s:
            request_incremental(s, o.id)
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(JobRun).where(JobRun.kind == "score_incremental")) == 1
    assert work_burst(worker_env).returncode == 0
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(ScorePending).where(ScorePending.org_id == o.id)) == 0
        run_ = s.scalar(select(JobRun).where(JobRun.kind == "score_incremental"))
        assert run_.status == "done" and run_.result["members"] > 0


@pytest.mark.parametrize("kind", ["score_incremental", "score_full"])
def test_worker_killed_mid_job_changes_nothing_and_the_rerun_converges(world, worker_env, settings, kind):
    a, o, _b, _other = world
    with tenant_scope(a.id, o.id), job_session() as s:
        pending = s.scalar(select(func.count()).select_from(ScorePending))
        s.add(OrgScore(org_id=o.id))       # the row every run updates last, after all of its writes
        s.flush()
        run_ = (request_full(s, o.id)[0] if kind == "score_full" else request_incremental(s, o.id))
    # Hold that row: the job blocks at the end of its transaction, with everything else written.
    # As a superuser: RLS would hide the row from a role without a tenant, and only a superuser sees other
    # roles' queries in pg_stat_activity.

    test_db = ADMIN_URL.rsplit("/", 1)[0] + "/" + settings.database_url.rsplit("/", 1)[1]
    blocker = psycopg.connect(test_db)
    assert blocker.execute("SELECT 1 FROM org_score WHERE org_id = %s FOR UPDATE", (o.id,)).fetchone()
    watcher = psycopg.connect(ADMIN_URL, autocommit=True)
    worker = subprocess.Popen([sys.executable, "-m", "web.cli", "worker", "--burst"], env=worker_env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:      # wait until the job's transaction waits on our lock
            # Blocked by our lock, not matched by query text: pg_stat_activity keeps only its first kilobyte.
            waiting = watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                                      (blocker.info.backend_pid,)).fetchone()[0]
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "the job never reached its last write"
        for pid in [worker.pid, *descendants(worker.pid)]:
            os.kill(pid, signal.SIGKILL)
        worker.wait()
    finally:
        blocker.rollback()
        blocker.close()
        watcher.close()
    with tenant_scope(a.id, o.id), job_session() as s:
        assert s.scalar(select(func.count()).select_from(ScorePending)) == pending     # nothing was taken
        assert s.scalar(select(func.count()).select_from(Member).where(Member.score.is_not(None))) == 0
        assert s.scalar(text("SELECT count(*) FROM member_day")) == 0                 # nor written
    with system_scope() as s:              # what the reaper does for a dead worker's run
        s.execute(text("UPDATE job_run SET status = 'failed' WHERE id = :id"), {"id": run_.id})
    with tenant_scope(a.id, o.id), job_session() as s:
        again = request_full(s, o.id)[0] if kind == "score_full" else request_incremental(s, o.id)
    assert again.id != run_.id
    assert work_burst(worker_env).returncode == 0
    got = _scores(a, o)
    with tenant_scope(a.id, o.id), job_session() as s:
        scoring.full(s, o.id, as_of=None)
        assert s.scalar(text("SELECT sum(n) FROM member_day WHERE org_id = :o"), {"o": o.id}) == 600
    for member_id, (score, stage) in _scores(a, o).items():
        assert got[member_id][1] == stage
        assert got[member_id][0] == pytest.approx(score, rel=1e-6), member_id   # scored seconds apart


def test_scoring_job_of_one_agency_cannot_score_another(world):
    a, o, b, other = world
    with tenant_scope(b.id, other.id), job_session() as s:
        from tenants.agency import jobs as job_service
        run_id = job_service.create(s, "score_full", other.id, {}, None).id
    with pytest.raises(TenantScopeError):
        run(run_id, a.id)                  # the run belongs to agency b: agency a's scope cannot see it
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Member).where(Member.score.is_not(None))) == 0


def test_incremental_of_one_organisation_touches_no_other(world):
    """The incremental step reads its members by the organisation (and RLS by the agency): a queue row naming a
    sibling organisation's or another agency's member, by a bug or tampering, is dropped and followed nowhere."""
    a, o, b, other = world
    sibling = factories.org(a, "Juice")
    factories.ingest_into(a, sibling, random_history(random.Random(6), 80, "z"))
    with system_scope() as s:
        foreign = s.scalars(select(Member.id).where(Member.org_id.in_((other.id, sibling.id)))).all()
        s.execute(text("INSERT INTO score_pending (agency_id, org_id, member_id, day) VALUES (:a, :o, :m, 20500)"),
                  [{"a": a.id, "o": o.id, "m": m} for m in foreign])
        queued_elsewhere = s.scalar(select(func.count()).select_from(ScorePending)
                                    .where(ScorePending.org_id.in_((other.id, sibling.id))))
    assert foreign and queued_elsewhere
    with tenant_scope(a.id, o.id), job_session() as s:
        while scoring.incremental(s, o.id).more:
            s.commit()
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(ScorePending).where(ScorePending.org_id == o.id)) == 0
        assert s.scalar(select(func.count()).select_from(ScorePending)
                        .where(ScorePending.org_id.in_((other.id, sibling.id)))) == queued_elsewhere
        assert s.scalar(select(func.count()).select_from(Member)
                        .where(Member.org_id == o.id, Member.score.is_not(None))) > 0
        assert s.scalar(select(func.count()).select_from(Member)
                        .where(Member.id.in_(foreign), Member.score_at.is_not(None))) == 0
        assert s.scalar(text("SELECT count(*) FROM member_day WHERE org_id <> :o OR member_id = ANY(:f)"),
                        {"o": o.id, "f": foreign}) == 0
        assert s.scalar(text("SELECT count(*) FROM stage_change WHERE org_id <> :o OR member_id = ANY(:f)"),
                        {"o": o.id, "f": foreign}) == 0
        assert s.scalar(select(func.count()).select_from(OrgScore).where(OrgScore.org_id != o.id)) == 0
