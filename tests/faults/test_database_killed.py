"""PostgreSQL connections terminated mid-transaction (pg_terminate_backend from a superuser connection, while
the victim waits on a lock the test holds, so it is caught inside its transaction): an API request answers 503 in
JSON and keeps nothing, a scoring job fails with its page offering to run it again and leaves the scores as they
were; the pool recovers and the next requests and runs work, storing everything once."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from tenants.agency.models import JobRun
from tenants.community.ingest import ingest
from tenants.community.models import Activity, Member
from tenants.community.validate import parse_activity
from tenants.core import locks
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support import factories, faults
from tests.support.api import auth, make_key
from tests.support.http import login, post
from tests.support.workers import work_burst
from workers.scoring import request_full


def item(ext: str, source: str, days_ago: int = 1) -> dict:
    when = (utcnow() - timedelta(days=days_ago)).isoformat()
    return {"member": {"channel": "telegram", "external_id": ext, "display_name": ext.title()},
            "type": "message", "occurred_at": when, "source_id": source}


def counts(org_id: int) -> tuple[int, int]:
    with system_scope() as s:
        return (s.scalar(select(func.count()).select_from(Activity).where(Activity.org_id == org_id)),
                s.scalar(select(func.count()).select_from(Member).where(Member.org_id == org_id)))


def members(org_id: int) -> list[tuple]:
    with system_scope() as s:
        return [tuple(r) for r in s.execute(
            select(Member.id, Member.score, Member.score_base, Member.stage, Member.activity_count)
            .where(Member.org_id == org_id).order_by(Member.id))]


def store(a, o, items: list[dict]) -> None:
    with tenant_scope(a.id, o.id), job_session() as s:
        ingest(s, o.id, [parse_activity(i) for i in items], rescore=False)


def in_thread(target) -> tuple[threading.Thread, dict]:
    out: dict = {}
    thread = threading.Thread(target=lambda: out.update(value=target()))
    thread.start()
    return thread, out


def test_an_api_request_cut_mid_transaction_answers_503_keeps_nothing_and_the_retry_stores_once(app, client,
                                                                                                    settings):
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    key = make_key(a, o)
    batch = {"activities": [item("ann", "s-1"), item("bob", "s-2"), item("ann", "s-3")]}
    with faults.superuser(settings.database_url) as admin:
        admin.execute("SELECT pg_advisory_lock(%s, %s)", (locks.MEMBER_CREATION, o.id))
        thread, out = in_thread(lambda: app.test_client().post("/api/v1/activities", json=batch, headers=auth(key)))
        victims = faults.wait_until(lambda: faults.backends_waiting(admin, "advisory"), "the request to wait")
        faults.terminate(admin, victims)
        thread.join(30)
        admin.execute("SELECT pg_advisory_unlock(%s, %s)", (locks.MEMBER_CREATION, o.id))
    cut = out["value"]
    assert cut.status_code == 503 and cut.is_json and "nothing was saved" in cut.json["error"]
    assert counts(o.id) == (0, 0)
    retried = client.post("/api/v1/activities", json=batch, headers=auth(key))     # the pool recovered
    assert (retried.status_code, retried.json["accepted"]) == (200, 3)
    again = client.post("/api/v1/activities", json=batch, headers=auth(key))
    assert (again.json["accepted"], again.json["duplicates"]) == (0, 3)
    assert counts(o.id) == (3, 2)


def test_a_scoring_job_cut_mid_transaction_fails_keeps_the_scores_and_runs_again(client, settings, worker_env):
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    store(a, o, [item(f"m{i % 5}", f"s-{i}", i % 20 + 1) for i in range(40)])
    factories.settle(a, o)
    store(a, o, [item(f"m{i % 5}", f"late-{i}") for i in range(10)])       # not scored yet: the recompute will
    before = members(o.id)
    assert sum(m[4] for m in before) == 40
    with tenant_scope(a.id, o.id), job_session() as s:
        job_id = request_full(s, o.id)[0].public_id
    with (faults.superuser(settings.database_url) as admin, faults.superuser(settings.database_url) as locker,
          locker.transaction()):
        # The recompute's last statement (its stamps) waits for this row: it has rewritten every member by then.
        # (Another connection watches: pg_stat_activity is read once per transaction.)
        locker.execute("SELECT 1 FROM org_score WHERE org_id = %s FOR UPDATE", (o.id,))
        thread, out = in_thread(lambda: work_burst(worker_env))
        victims = faults.wait_until(lambda: faults.backends_waiting(admin, "transactionid", "tuple"),
                                    "the recompute to wait on its stamps")
        faults.terminate(admin, victims)
        thread.join(120)
    assert out["value"].returncode == 0
    with system_scope() as s:
        run = s.scalar(select(JobRun).where(JobRun.public_id == job_id))
        assert (run.status, run.failure) == ("failed", None) and "OperationalError" in run.error
    assert members(o.id) == before                                  # the recompute's transaction rolled back

    login(client, "o@acme.test")
    page = client.get(f"/acme/jobs/{job_id}").text
    assert 'data-testid="job-failed"' in page and 'data-testid="job-rerun"' in page
    assert "OperationalError" not in page
    pressed = post(client, f"/acme/jobs/{job_id}/rerun")
    assert pressed.status_code == 302
    assert work_burst(worker_env).returncode == 0
    with system_scope() as s:
        again = s.scalar(select(JobRun).where(JobRun.public_id == pressed.headers["Location"].rsplit("/", 1)[1]))
        assert (again.kind, again.status) == ("score_full", "done")
    assert sum(m[4] for m in members(o.id)) == 50                  # every activity counted, once
