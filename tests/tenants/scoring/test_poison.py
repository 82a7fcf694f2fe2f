"""Stored values scoring cannot use (written past validation: older data, SQL by hand) never stop an
organisation's scoring: incremental, full and daily finish, good members score as without the bad rows, the bad
members are reported and the queue empties."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from tenants import scoring
from tenants.agency.models import JobRun
from tenants.community.models import Member, ScorePending
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support import factories
from tests.support.http import login
from tests.support.scoring import NOW, act, random_history
from tests.support.workers import work_burst
from workers.scoring import request_daily, request_full, request_incremental

BAD = ("late", "huge", "negative", "nan", "sparse")


@pytest.fixture
def twins():
    """Two organisations with the same good history and the members of BAD; one gets bad rows on top."""
    a = factories.agency("Acme", "o@acme.test")
    poisoned, clean = factories.org(a, "Poisoned"), factories.org(a, "Clean")
    history = random_history(random.Random(11), 500, "g") + [
        act(who, "message", NOW - timedelta(days=3), f"ok-{who}") for who in BAD]
    for o in (poisoned, clean):
        factories.ingest_into(a, o, history)
    return a, poisoned, clean


def _ids(a, o) -> dict[str, int]:
    with tenant_scope(a.id, o.id), job_session() as s:
        return {m.display_name.lower(): m.id for m in s.scalars(select(Member).where(Member.org_id == o.id))}


def _tenant(conn, a) -> None:
    """The owner role bypasses validation, not row-level security: the agency for this transaction."""
    conn.execute(text("SELECT set_config('app.agency_id', :a, true)"), {"a": str(a.id)})


def _poison(owner_engine, a, o) -> dict[str, int]:
    """Bad rows straight into the tables (bypassing validation), queued for scoring as ingest queues them."""
    ids = _ids(a, o)
    rows = [("late", "9999-12-31T10:00:00Z", None), ("late", "1900-01-01T10:00:00Z", None),
            ("huge", NOW.isoformat(), 1e308), ("huge", (NOW - timedelta(days=1)).isoformat(), 1e308),
            ("negative", NOW.isoformat(), -1000.0), ("nan", NOW.isoformat(), float("nan")),
            ("nan", NOW.isoformat(), float("inf"))]
    with owner_engine.begin() as conn:
        _tenant(conn, a)
        for i, (who, when, weight) in enumerate(rows):
            conn.execute(text("""
                WITH a AS (
                    INSERT INTO activity (agency_id, org_id, member_id, type, channel, occurred_at, weight,
                                          source_id, meta, created_at)
                    VALUES (:agency, :org, :m, 'message', 'telegram', CAST(:when AS timestamptz),
                            CAST(:w AS double precision), :src, '{}', now())
                    RETURNING member_id, occurred_at)
                INSERT INTO score_pending (agency_id, org_id, member_id, day)
                SELECT :agency, :org, member_id, (occurred_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01' FROM a
                ON CONFLICT DO NOTHING"""),
                {"agency": a.id, "org": o.id, "m": ids[who], "when": when, "w": weight, "src": f"bad{i}"})
        conn.execute(text("UPDATE member SET followers = -5 WHERE id = :m"), {"m": ids["sparse"]})
    return ids


def _scores(a, o) -> dict[str, tuple]:
    with tenant_scope(a.id, o.id), job_session() as s:
        return {m.display_name.lower(): (m.score, m.loyalty_index, m.stage, m.activity_count, m.influence)
                for m in s.scalars(select(Member).where(Member.org_id == o.id))}


def _pending(a, o) -> int:
    with tenant_scope(a.id, o.id), job_session() as s:
        return s.scalar(select(func.count()).select_from(ScorePending).where(ScorePending.org_id == o.id))


def _assert_good_members_equal(a, poisoned, clean, influence: bool = False) -> None:
    got, want = _scores(a, poisoned), _scores(a, clean)
    assert set(got) == set(want)
    for name, w in want.items():
        g = got[name]
        assert g[0] == pytest.approx(w[0], rel=1e-9, abs=1e-12), name
        assert g[1] == pytest.approx(w[1], rel=1e-9, abs=1e-9), name
        assert (g[2], g[3]) == (w[2], w[3]), name          # stage; activity count without the bad rows
        if influence and name != "sparse":
            assert g[4] == pytest.approx(w[4], abs=1e-9), name


def _run(a, o, path: str) -> scoring.RunResult:
    with tenant_scope(a.id, o.id), job_session() as s:
        if path != "incremental":
            return getattr(scoring, path)(s, o.id, NOW)
        total = scoring.RunResult()
        while True:
            r = scoring.incremental(s, o.id, NOW, chunk=40)
            s.commit()
            total.add(r)
            if not r.more:
                return total


def test_incremental_full_and_daily_finish_and_report_the_bad_members(twins, owner_engine):
    a, poisoned, clean = twins
    ids = _poison(owner_engine, a, poisoned)
    bad = {ids[w] for w in ("late", "huge", "negative", "nan")}
    # Incremental: everything queued is applied, the bad rows left out and their members reported.
    r = _run(a, poisoned, "incremental")
    _run(a, clean, "incremental")
    assert set(r.ignored) == bad and not r.failed
    assert _pending(a, poisoned) == 0
    _assert_good_members_equal(a, poisoned, clean)
    # Full recompute: the same scores, the same members reported, and negative followers count as none.
    r = _run(a, poisoned, "full")
    _run(a, clean, "full")
    assert set(r.ignored) == bad | {ids["sparse"]} and not r.failed
    _assert_good_members_equal(a, poisoned, clean, influence=True)
    # Nightly pass: finishes; it reads no activity weights, so only the follower count is reported.
    r = _run(a, poisoned, "daily")
    _run(a, clean, "daily")
    assert r.ignored == [ids["sparse"]]
    _assert_good_members_equal(a, poisoned, clean, influence=True)
    # New activity after all that is scored as usual.
    for o in (poisoned, clean):
        factories.ingest_into(a, o, [act("m1", "post", NOW - timedelta(hours=1), "after")])
    _run(a, poisoned, "incremental")
    _run(a, clean, "incremental")
    _assert_good_members_equal(a, poisoned, clean)
    assert _pending(a, poisoned) == 0


def test_an_unforeseen_data_error_isolates_the_member_and_scores_the_rest(twins, owner_engine):
    """A counter at the column's limit makes the member's UPDATE fail (integer out of range), a failure no guard
    foresees: the chunk is halved until that member is alone, its queue rows are taken out, the rest scored."""
    a, poisoned, clean = twins
    _run(a, poisoned, "full")
    _run(a, clean, "full")
    ids = _ids(a, poisoned)
    with owner_engine.begin() as conn:
        _tenant(conn, a)
        conn.execute(text("UPDATE member SET activity_count = 2147483647 WHERE id = :m"), {"m": ids["m3"]})
    new = [act(who, "reply", NOW - timedelta(hours=2), f"new-{who}") for who in ("m1", "m2", "m3", "m4", "late")]
    for o in (poisoned, clean):
        factories.ingest_into(a, o, new)
    r = _run(a, poisoned, "incremental")
    _run(a, clean, "incremental")
    assert r.failed == [ids["m3"]] and r.members == 4
    assert _pending(a, poisoned) == 0                      # taken out, not retried forever
    got, want = _scores(a, poisoned), _scores(a, clean)
    for name in ("m1", "m2", "m4", "late"):
        assert got[name][0] == pytest.approx(want[name][0], rel=1e-9), name
        assert got[name][3] == want[name][3], name
    assert got["m3"][3] == 2147483647                       # left as it was


def test_scoring_jobs_through_a_worker_report_the_members(twins, owner_engine, worker_env, client):
    a, poisoned, _clean = twins
    ids = _poison(owner_engine, a, poisoned)
    bad = sorted(ids[w] for w in ("late", "huge", "negative", "nan"))
    with tenant_scope(a.id, poisoned.id), job_session() as s:
        request_incremental(s, poisoned.id)
        request_full(s, poisoned.id)
        request_daily(s, poisoned.id)
    done = work_burst(worker_env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "values scoring does not count left out for members" in done.stderr
    with system_scope() as s:
        runs = {r.kind: r for r in s.scalars(select(JobRun).where(JobRun.org_id == poisoned.id))}
    assert {k: r.status for k, r in runs.items()} == {"score_incremental": "done", "score_full": "done",
                                                       "score_daily": "done"}
    assert runs["score_full"].result["ignored_members"] == sorted([*bad, ids["sparse"]])
    assert runs["score_daily"].result["ignored_members"] == [ids["sparse"]]
    assert _pending(a, poisoned) == 0
    with tenant_scope(a.id, poisoned.id), job_session() as s:
        assert s.scalar(select(func.count()).select_from(Member).where(Member.org_id == poisoned.id,
                                                                       Member.score.is_(None))) == 0
    # The job's page says so.
    login(client, "o@acme.test")
    page = client.get(f"/acme/jobs/{runs['score_full'].public_id}").text
    assert 'data-testid="job-done"' in page
    assert "Values outside the accepted ranges were left out for 5 members." in page


def test_a_run_that_left_members_unscored_says_so_on_its_page(twins, owner_engine, worker_env, client):
    a, poisoned, _clean = twins
    _run(a, poisoned, "full")
    ids = _ids(a, poisoned)
    with owner_engine.begin() as conn:
        _tenant(conn, a)
        conn.execute(text("UPDATE member SET activity_count = 2147483647 WHERE id = :m"), {"m": ids["m3"]})
    factories.ingest_into(a, poisoned, [act("m3", "reply", NOW - timedelta(hours=2), "new-m3")])
    with tenant_scope(a.id, poisoned.id), job_session() as s:
        run = request_incremental(s, poisoned.id)
        public_id = run.public_id
    assert work_burst(worker_env).returncode == 0
    with system_scope() as s:
        row = s.scalar(select(JobRun).where(JobRun.public_id == public_id))
    assert row.status == "done" and row.result.get("failed_members") == [ids["m3"]], row.result
    login(client, "o@acme.test")
    page = client.get(f"/acme/jobs/{public_id}").text
    assert "1 member could not be scored: their data failed. Everyone else was scored." in page


@pytest.fixture
def failing_member_update(owner_engine):
    """An error no guard foresees: PostgreSQL refuses (as a data exception) to give member "M3" a score."""
    with owner_engine.begin() as conn:
        conn.execute(text("""
            CREATE FUNCTION test_refuse_m3() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.display_name = 'M3' AND NEW.score IS NOT NULL THEN
                    RAISE EXCEPTION 'refused' USING ERRCODE = '22003';
                END IF;
                RETURN NEW;
            END $$"""))
        conn.execute(text("CREATE TRIGGER test_refuse_m3 BEFORE UPDATE ON member FOR EACH ROW "
                          "EXECUTE FUNCTION test_refuse_m3()"))
    yield
    with owner_engine.begin() as conn:
        conn.execute(text("DROP TRIGGER test_refuse_m3 ON member"))
        conn.execute(text("DROP FUNCTION test_refuse_m3()"))


@pytest.mark.parametrize("path", ["full", "daily"])
def test_a_whole_pass_failing_on_one_member_scores_everyone_else(twins, failing_member_update, path):
    """The set-based pass fails; the organisation is scored member by member, the failing member reported and
    left as it was, everyone else as a clean organisation's full recompute scores them."""
    a, poisoned, clean = twins
    if path == "daily":
        with tenant_scope(a.id, poisoned.id), job_session() as s:       # scored once, so daily does not go full
            scoring.current_model(s, poisoned.id)
            s.execute(text("UPDATE member SET score_version = 1, score_base = 0 WHERE org_id = :o"),
                      {"o": poisoned.id})
    r = _run(a, poisoned, path)
    _run(a, clean, "full")
    ids = _ids(a, poisoned)
    assert r.failed == [ids["m3"]]
    assert _pending(a, poisoned) == 0
    got, want = _scores(a, poisoned), _scores(a, clean)
    for name, w in want.items():
        if name != "m3":
            assert got[name][0] == pytest.approx(w[0], rel=1e-9, abs=1e-12), name
            assert (got[name][2], got[name][3]) == (w[2], w[3]), name
    assert got["m3"][0] is None and got["m3"][3] == 0                     # never scored: left so
