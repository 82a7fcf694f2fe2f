"""The hand-over between ingest and the incremental run is exact: an activity whose member day a run has claimed
is still scored (by the next run), so counters and scores equal a full recompute's with no nightly run between."""
from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from tenants import scoring
from tenants.community.ingest import ingest
from tenants.community.models import Member, ScorePending
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tests.support import factories
from tests.support.scoring import NOW, act


@pytest.fixture
def org():
    a = factories.agency("Acme", "o@acme.test")
    return a, factories.org(a, "Coffee")


def _drain(a, o) -> None:
    with tenant_scope(a.id, o.id), job_session() as s:
        while scoring.incremental(s, o.id, NOW, chunk=25).more:
            s.commit()


def _counters(a, o) -> dict[int, tuple]:
    """(activity_count, first_seen_at, last_active_at) of every member, as stored and as the activity says."""
    with tenant_scope(a.id, o.id), job_session() as s:
        truth = {m: (n, f.astimezone(UTC), la.astimezone(UTC)) for m, n, f, la in s.execute(text(
            "SELECT member_id, count(*), min(occurred_at), max(occurred_at) FROM activity "
            "WHERE org_id = :o GROUP BY member_id"), {"o": o.id})}
        stored = {m.id: (m.activity_count, m.first_seen_at and m.first_seen_at.astimezone(UTC),
                         m.last_active_at and m.last_active_at.astimezone(UTC))
                  for m in s.scalars(select(Member).where(Member.org_id == o.id))}
    return {m: (stored[m], truth.get(m, (0, None, None))) for m in stored}


def _assert_as_full_recompute(a, o) -> None:
    """Counters equal the activity table, pending is empty, and a full recompute changes no score."""
    with tenant_scope(a.id, o.id), job_session() as s:
        assert s.scalar(select(func.count()).select_from(ScorePending)) == 0
    for member_id, (stored, truth) in _counters(a, o).items():
        assert stored == truth, member_id
    with tenant_scope(a.id, o.id), job_session() as s:
        before = {m.id: (m.score, m.stage) for m in s.scalars(select(Member).where(Member.org_id == o.id))}
    with tenant_scope(a.id, o.id), job_session() as s:
        scoring.full(s, o.id, NOW)
    with tenant_scope(a.id, o.id), job_session() as s:
        for m in s.scalars(select(Member).where(Member.org_id == o.id)):
            assert m.score == pytest.approx(before[m.id][0], rel=1e-9, abs=1e-12), m.id
            assert m.stage == before[m.id][1], m.id


def test_a_batch_committed_after_a_run_claimed_its_member_day_is_scored_by_the_next_run(org):
    """The interleaving spelled out: a batch writes its activity and queue row for a member day already queued,
    a run claims, rebuilds and releases that day before the batch commits, then the batch commits."""
    a, o = org
    day = NOW - timedelta(days=2)
    factories.ingest_into(a, o, [act("ann", "message", day, "first")])
    with tenant_scope(a.id, o.id), job_session() as late:
        ingest(late, o.id, [act("ann", "post", day + timedelta(minutes=5), "late")], rescore=False)
        with job_session() as s:                 # its own connection: the run cannot see the batch yet
            r = scoring.incremental(s, o.id, NOW)
        assert r.members == 1
    # The batch has committed now; what it queued is still there for the next run.
    _drain(a, o)
    _assert_as_full_recompute(a, o)


def test_concurrent_ingest_and_incremental_runs_end_exact(org):
    """Writers on their own connections send small batches on a few member days while runs loop; afterwards
    (no nightly, no full run) counters equal the activity and scores equal a full recompute."""
    a, o = org
    people = ["ann", "bob"]          # few member days: every batch meets a run's claim
    days = [NOW - timedelta(days=d, hours=3) for d in (1, 2)]
    stop = threading.Event()
    errors: list[BaseException] = []
    runs = [0]

    def writer(w: int) -> None:
        rng = random.Random(w)
        try:
            with tenant_scope(a.id, o.id):
                for i in range(80):
                    # Two batches a transaction (as an import writes them): the shared member days' queue rows
                    # are written a while before the commit; the second batch is the writer's own member.
                    with job_session() as s:
                        for who, j in ((people, 0), ([f"own{w}"], 1)):
                            ingest(s, o.id, [act(rng.choice(who), rng.choice(["message", "reply", "post"]),
                                                 rng.choice(days) + timedelta(seconds=rng.randrange(3600)),
                                                 f"w{w}-{i}-{j}-{k}") for k in range(rng.randrange(1, 4))],
                                   rescore=False)
        except BaseException as exc:  # noqa: BLE001 -- reported to the main thread
            errors.append(exc)

    def scorer() -> None:
        try:
            with tenant_scope(a.id, o.id):
                while not stop.is_set():
                    with job_session() as s:
                        scoring.incremental(s, o.id, NOW, chunk=4)
                    runs[0] += 1
        except BaseException as exc:  # noqa: BLE001 -- reported to the main thread
            errors.append(exc)

    writers = [threading.Thread(target=writer, args=(w,)) for w in range(5)]
    loop = threading.Thread(target=scorer)
    loop.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    loop.join()
    assert not errors, errors
    assert runs[0] > 0
    _drain(a, o)
    with tenant_scope(a.id, o.id), job_session() as s:
        assert s.scalar(text("SELECT count(*) FROM activity WHERE org_id = :o"), {"o": o.id}) > 2 * 5 * 80
    _assert_as_full_recompute(a, o)


def test_a_run_releases_only_what_it_claimed(org):
    """Queue rows of one member day from two transactions are two rows; a run deletes the ones it read."""
    a, o = org
    when = datetime(2026, 5, 30, 9, tzinfo=UTC)
    factories.ingest_into(a, o, [act("ann", "message", when, "one")])
    factories.ingest_into(a, o, [act("ann", "message", when + timedelta(hours=1), "two")])
    with tenant_scope(a.id, o.id), job_session() as s:
        rows = s.execute(select(ScorePending.member_id, ScorePending.day, ScorePending.gen)
                         .where(ScorePending.day >= 0)).all()
    assert len(rows) == 2 and rows[0][:2] == rows[1][:2] and rows[0][2] != rows[1][2]
    _drain(a, o)
    _assert_as_full_recompute(a, o)
