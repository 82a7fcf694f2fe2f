"""Scores and stages on hand-made histories with known answers, and incremental = full on random ones."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from tenants import scoring
from tenants.community import profile
from tenants.community.models import Member, ScorePending
from tenants.core import days
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.scoring.models import StageChange
from tests.support import factories
from tests.support.scoring import NOW, act, random_history


@pytest.fixture
def org():
    a = factories.agency("Acme", "o@acme.test")
    return a, factories.org(a, "Coffee")


def run(a, o, path: str, as_of: datetime = NOW, **kw):
    with tenant_scope(a.id, o.id), job_session() as s:
        if path == "incremental":
            total = 0
            while (r := scoring.incremental(s, o.id, as_of, **kw)).members:
                total += r.members
                s.commit()
            return total
        return getattr(scoring, path)(s, o.id, as_of).members


def member(a, o, ext: str) -> Member:
    with tenant_scope(a.id, o.id), job_session() as s:
        m = s.scalar(select(Member).where(Member.org_id == o.id, Member.display_name == ext.title()))
        s.expunge(m)
        return m


def members(a, o) -> dict[str, Member]:
    with tenant_scope(a.id, o.id), job_session() as s:
        found = {m.display_name.lower(): m for m in s.scalars(select(Member).where(Member.org_id == o.id))}
        for m in found.values():
            s.expunge(m)
        return found


def test_decay_weights_and_loyalty_index(org):
    a, o = org
    h = 60
    factories.ingest_into(a, o, [
        act("ann", "message", NOW - timedelta(days=60), "a1"),          # weight 1, one half-life ago
        act("ann", "referral", NOW - timedelta(days=120), "a2"),        # weight 8, two half-lives ago
        act("ann", "message", NOW - timedelta(days=1), "a3", weight=4),  # its own weight wins
    ])
    run(a, o, "full")
    ann = members(a, o)["ann"]
    # Days count from the start of the activity's UTC day: NOW is 12:00, so each age is half a day longer.
    expected = sum(w * 2 ** (-(age + 0.5) / h) for w, age in ((1, 60), (8, 120), (4, 1)))
    assert ann.score == pytest.approx(expected, rel=1e-9)
    assert ann.loyalty_index == pytest.approx(100 * (1 - 2 ** (-expected / 30)), rel=1e-9)
    assert ann.score_version == 1 and ann.score_at is not None


def test_stage_thresholds_tenure_weeks_and_advocacy(org):
    a, o = org
    items = []
    # newcomer: one reaction; participant: two messages; active: 12 messages spread over 3 weeks;
    # loyal needs 60 days of tenure: "fresh" has a high score but joined 10 days ago.
    items.append(act("nia", "reaction", NOW - timedelta(days=2), "n1"))
    items += [act("pat", "message", NOW - timedelta(days=3), f"p{i}") for i in range(2)]
    items += [act("ada", "message", NOW - timedelta(days=1 + 7 * (i % 3)), f"ad{i}") for i in range(12)]
    items += [act("fresh", "review", NOW - timedelta(days=1 + i % 10), f"f{i}") for i in range(8)]
    # loyal: 35 points, tenure 100 days; advocate: 70 points and a share within 180 days.
    items += [act("lou", "post", NOW - timedelta(days=100), "l0", weight=0.1)]
    items += [act("lou", "review", NOW - timedelta(days=1 + i), f"l{i + 1}") for i in range(8)]
    items += [act("ava", "post", NOW - timedelta(days=100), "v0", weight=0.1)]
    items += [act("ava", "review", NOW - timedelta(days=1 + i), f"v{i + 1}") for i in range(14)]
    items += [act("ava", "share", NOW - timedelta(days=20), "vs")]
    items += [act("sam", "review", NOW - timedelta(days=1 + i), f"s{i}") for i in range(20)]   # no advocacy
    factories.ingest_into(a, o, items)
    run(a, o, "full")
    got = {name: m.stage for name, m in members(a, o).items()}
    assert got == {"nia": "newcomer", "pat": "participant", "ada": "active", "fresh": "active", "lou": "loyal",
                   "ava": "advocate", "sam": "active"}
    # "sam" has 96 points over 20 days: too new for loyal, no advocacy signal for advocate.


def test_promote_at_once_demote_after_grace_with_history(org):
    a, o = org
    factories.ingest_into(a, o, [act("ann", "message", NOW - timedelta(days=70), f"a{i}") for i in range(3)]
                          + [act("ann", "message", NOW - timedelta(days=1), "b1")])
    run(a, o, "full", NOW)
    assert members(a, o)["ann"].stage == "participant"
    # 12 more messages in two weeks: promoted to active the same day.
    factories.ingest_into(a, o, [act("ann", "message", NOW - timedelta(days=i % 2 * 8), f"c{i}") for i in range(12)])
    run(a, o, "incremental", NOW)
    ann = members(a, o)["ann"]
    assert ann.stage == "active" and ann.stage_below_since is None
    # 300 days later the score has decayed below every bar: demotion waits out the 14-day grace...
    later = NOW + timedelta(days=300)
    run(a, o, "daily", later)
    ann = members(a, o)["ann"]
    assert ann.stage == "active" and ann.stage_below_since is not None
    run(a, o, "daily", later + timedelta(days=13))
    assert members(a, o)["ann"].stage == "active"
    # ...then goes straight to the stage earned.
    run(a, o, "daily", later + timedelta(days=14))
    ann = members(a, o)["ann"]
    assert ann.stage == "newcomer" and ann.stage_below_since is None
    with tenant_scope(a.id, o.id), job_session() as s:
        history = [(c.from_stage, c.to_stage) for c in s.scalars(
            select(StageChange).where(StageChange.member_id == ann.id).order_by(StageChange.id))]
    assert history == [(None, "participant"), ("participant", "active"), ("active", "newcomer")]


def test_recovering_during_grace_keeps_the_stage(org):
    a, o = org
    factories.ingest_into(a, o, [act("ann", "message", NOW - timedelta(days=1 + 7 * (i % 3)), f"a{i}")
                                 for i in range(12)])
    run(a, o, "full", NOW)
    later = NOW + timedelta(days=120)
    run(a, o, "daily", later)
    assert members(a, o)["ann"].stage_below_since is not None
    factories.ingest_into(a, o, [act("ann", "review", later - timedelta(days=i * 7), f"r{i}") for i in range(3)])
    run(a, o, "incremental", later + timedelta(days=1))
    ann = members(a, o)["ann"]
    assert ann.stage == "active" and ann.stage_below_since is None


def test_staff_and_bots_are_left_out(org):
    a, o = org
    factories.ingest_into(a, o, [act("ann", "review", NOW - timedelta(days=1), "a1"),
                                 act("bot", "review", NOW - timedelta(days=1), "b1"),
                                 act("bot", "reply", NOW - timedelta(days=1), "b2", target="ann")])
    run(a, o, "full")
    bot = members(a, o)["bot"]
    assert bot.stage == "participant"
    with tenant_scope(a.id, o.id), job_session() as s:
        profile.set_flag(s, [bot.id], "is_bot", True)
    run(a, o, "incremental")
    bot, ann = members(a, o)["bot"], members(a, o)["ann"]
    assert bot.stage is None and bot.score is None and bot.loyalty_index is None
    factories.ingest_into(a, o, [act("bot", "message", NOW - timedelta(hours=2), "b3")])
    run(a, o, "incremental")
    bot = members(a, o)["bot"]
    assert (bot.activity_count, bot.last_active_at) == (3, NOW - timedelta(hours=2))    # left out, still counted
    run(a, o, "full")
    ann = members(a, o)["ann"]
    assert ann.influence_raw == pytest.approx(0.0)      # a bot's reply is not influence
    with tenant_scope(a.id, o.id), job_session() as s:
        summary_members = s.scalar(select(func.count()).select_from(Member).where(
            Member.org_id == o.id, Member.stage.is_not(None)))
    assert summary_members == 1


def test_at_risk_and_influence(org):
    a, o = org
    items = [act("lou", "post", NOW - timedelta(days=200), "l0", weight=0.1)]
    items += [act("lou", "review", NOW - timedelta(days=40 + i), f"l{i}") for i in range(12)]   # quiet 40 days
    items += [act("ava", "post", NOW - timedelta(days=200), "v0", weight=0.1)]
    items += [act("ava", "review", NOW - timedelta(days=1 + i), f"v{i}") for i in range(10)]
    for i, fan in enumerate(("bo", "cy", "di")):
        items.append(act(fan, "reply", NOW - timedelta(days=3), f"r{i}", target="ava"))
        items.append(act(fan, "reaction", NOW - timedelta(days=3), f"x{i}", target="ava"))
    items.append(act("bo", "reply", NOW - timedelta(days=100), "old", target="lou"))   # outside 90 days
    factories.ingest_into(a, o, items)
    run(a, o, "full")
    got = members(a, o)
    assert got["lou"].stage == "loyal" and got["lou"].at_risk is True
    assert got["ava"].stage == "loyal" and got["ava"].at_risk is False
    assert got["ava"].influence_raw == pytest.approx(3 + 0.2 * 6)
    assert got["lou"].influence_raw == pytest.approx(0.0)
    assert got["ava"].influence == pytest.approx(100.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_equals_full_on_random_histories(seed):
    _incremental_equals_full(seed)


def _incremental_equals_full(seed: int) -> None:
    a = factories.agency("Acme", "o@acme.test")
    inc, ful = factories.org(a, "Incremental"), factories.org(a, "Full")
    rng = random.Random(seed)
    history = random_history(rng, 1500, "s")
    # The incremental organisation gets the history in random batches, scoring after each and at times
    # running the same job twice; the other gets it all at once and one full recompute.
    shuffled = history[:]
    rng.shuffle(shuffled)
    step = 0
    while step < len(shuffled):
        size = rng.randrange(1, 300)
        factories.ingest_into(a, inc, shuffled[step:step + size])
        step += size
        run(a, inc, "incremental", chunk=rng.choice([7, 50, 20_000]))
        if rng.random() < 0.3:
            assert run(a, inc, "incremental") == 0     # nothing left: a second run changes nothing
    factories.ingest_into(a, ful, history)
    run(a, ful, "full")
    got_inc, got_full = members(a, inc), members(a, ful)
    assert set(got_inc) == set(got_full)
    for name, m in got_full.items():
        other = got_inc[name]
        assert other.score == pytest.approx(m.score, rel=1e-9, abs=1e-12), name
        assert other.loyalty_index == pytest.approx(m.loyalty_index, rel=1e-9, abs=1e-9), name
        assert other.stage == m.stage, name
    # Member counters follow the scores on both paths: exactly what the activity table says.
    _assert_counters(a, inc)
    _assert_counters(a, ful)
    # The full recompute over the incremental organisation changes no score either.
    before = {n: m.score for n, m in got_inc.items()}
    run(a, inc, "full")
    for name, m in members(a, inc).items():
        assert m.score == pytest.approx(before[name], rel=1e-9, abs=1e-12)
    _assert_counters(a, inc)


def _assert_counters(a, o) -> None:
    """activity_count, first_seen_at and last_active_at of every member equal a count over its activity."""
    with tenant_scope(a.id, o.id), job_session() as s:
        truth = {m: (n, f, la) for m, n, f, la in s.execute(text(
            "SELECT member_id, count(*), min(occurred_at), max(occurred_at) FROM activity "
            "WHERE org_id = :o GROUP BY member_id"), {"o": o.id})}
        for m in s.scalars(select(Member).where(Member.org_id == o.id)):
            n, first, last = truth.get(m.id, (0, None, None))
            assert (m.activity_count, _utc(m.first_seen_at), _utc(m.last_active_at)) == (n, _utc(first), _utc(last)), \
                m.display_name


def _utc(moment: datetime | None) -> datetime | None:
    """A stored moment in UTC, to compare timestamps read by the ORM with those read by plain SQL."""
    return moment.astimezone(UTC) if moment is not None else None


def test_runs_are_idempotent_and_leave_nothing_pending(org):
    a, o = org
    factories.ingest_into(a, o, random_history(random.Random(5), 400, "i"))
    with tenant_scope(a.id, o.id), job_session() as s:
        assert s.scalar(select(func.count()).select_from(ScorePending)) > 0
    with tenant_scope(a.id, o.id), job_session() as s:     # in chunks, as the worker runs it: until no `more`
        pending = s.scalar(select(func.count()).select_from(ScorePending))
        steps = []
        while not steps or steps[-1].more:
            steps.append(scoring.incremental(s, o.id, NOW, chunk=50))
            s.commit()
        assert s.scalar(select(func.count()).select_from(ScorePending)) == 0
    assert len(steps) == pending // 50 + 1 and [r.more for r in steps[:-1]] == [True] * (len(steps) - 1)
    first = {n: (m.score, m.stage) for n, m in members(a, o).items()}
    run(a, o, "full")
    run(a, o, "full")
    for name, m in members(a, o).items():
        assert m.stage == first[name][1], name
        assert m.score == pytest.approx(first[name][0], rel=1e-9, abs=1e-12), name
    with tenant_scope(a.id, o.id), job_session() as s:
        assert s.scalar(select(func.count()).select_from(ScorePending)) == 0
        days = s.scalar(text("SELECT count(*) FROM member_day WHERE org_id = :o"), {"o": o.id})
        acts = s.scalar(text("SELECT sum(n) FROM member_day WHERE org_id = :o"), {"o": o.id})
    assert days > 0 and acts == 400


def test_merge_moves_the_score(org):
    a, o = org
    factories.ingest_into(a, o, [act("ann", "review", NOW - timedelta(days=1), "a1"),
                                 act("anna", "review", NOW - timedelta(days=2), "a2")])
    run(a, o, "full")
    got = members(a, o)
    from tenants.community import merge
    from tenants.core.audit import Actor
    with tenant_scope(a.id, o.id), job_session() as s:
        merge.merge(s, s.get(Member, got["ann"].id), s.get(Member, got["anna"].id), Actor(email="t"))
    run(a, o, "incremental")
    got2 = members(a, o)
    assert got2["ann"].score == pytest.approx(got["ann"].score + got["anna"].score, rel=1e-9)
    assert got2["anna"].score is None and got2["anna"].stage is None


def test_preview_counts_moves_without_writing(org):
    a, o = org
    factories.ingest_into(a, o, [act(f"p{i}", "message", NOW - timedelta(days=1), f"x{i}") for i in range(5)]
                          + [act(f"p{i}", "message", NOW - timedelta(days=2), f"y{i}") for i in range(5)])
    run(a, o, "full")
    model = scoring.Model.from_settings({"weights": {"message": 0.1}})
    with tenant_scope(a.id, o.id), job_session() as s:
        result = scoring.preview(s, o.id, model, NOW)
    assert result["down"] == 5 and result["up"] == 0
    assert result["moves"] == [("participant", "newcomer", 5)]
    assert {m.stage for m in members(a, o).values()} == {"participant"}


def test_settings_are_validated():
    with pytest.raises(scoring.ScoringError):
        scoring.Model.from_settings({"half_life_days": 1})
    with pytest.raises(scoring.ScoringError):
        scoring.Model.from_settings({"thresholds": {"active": 0.5}})
    with pytest.raises(scoring.ScoringError):
        scoring.Model.from_settings({"weights": {"message": "lots"}})


def test_daily_metrics_keep_each_days_stage_snapshot(org):
    from tenants.metrics import rollups
    from tenants.metrics.models import OrgDay
    a, o = org
    factories.ingest_into(a, o, [act("ann", "review", NOW - timedelta(days=3), "a1")])
    with tenant_scope(a.id, o.id), job_session() as s:
        scoring.full(s, o.id, NOW - timedelta(days=1))
        rollups.rollup(s, o.id, as_of=NOW - timedelta(days=1))
        scoring.daily(s, o.id, NOW)
        rollups.rollup(s, o.id, as_of=NOW)
        rows = {d.day: d.data for d in s.scalars(select(OrgDay).where(OrgDay.org_id == o.id))}
    today, yesterday = days.day_number(NOW), days.day_number(NOW) - 1
    assert rows[yesterday]["stages"]["participant"] == 1          # yesterday's snapshot survived today's pass
    assert rows[today]["stages"]["participant"] == 1 and rows[today]["members"] == 1
    assert rows[days.day_number(NOW - timedelta(days=3))]["dau"] == 1
    assert rows[days.day_number(NOW - timedelta(days=3))]["by_type"] == {"review": 1}


def test_full_recompute_checks_the_rollup_and_repairs_only_what_drifted(org):
    """The full pass scores from the activity itself and rebuilds member days only where the rollup disagrees
    with the activity (here: a lost day, a wrong count, a wrong type, a row of a member without activity)."""
    a, o = org
    rng = random.Random(3)
    factories.ingest_into(a, o, [act(f"p{i % 9}", rng.choice(("message", "reply", "review")),
                                     NOW - timedelta(days=rng.randint(0, 200), hours=rng.randint(0, 23)), f"s{i}")
                                 for i in range(400)])
    factories.ingest_into(a, o, [act("quiet", "join", NOW - timedelta(days=3), "q1", weight=0.0)])
    run(a, o, "full")
    with tenant_scope(a.id, o.id), job_session() as s:
        good = sorted(s.execute(text("SELECT member_id, day, type, n, n_custom, w_custom, promoters FROM member_day"
                                     )).all())
        scores = {m.id: m.score for m in s.scalars(select(Member))}
        assert scoring.full(s, o.id, NOW).member_days == 0             # consistent: nothing rewritten
        victims = s.execute(text("SELECT member_id, day, type FROM member_day ORDER BY member_id, day LIMIT 3")).all()
        s.execute(text("DELETE FROM member_day WHERE member_id = :m AND day = :d AND type = :t"),
                  dict(zip("mdt", victims[0], strict=True)))
        s.execute(text("UPDATE member_day SET n = n + 2 WHERE member_id = :m AND day = :d AND type = :t"),
                  dict(zip("mdt", victims[1], strict=True)))
        s.execute(text("UPDATE member_day SET type = 'post' WHERE member_id = :m AND day = :d AND type = :t"),
                  dict(zip("mdt", victims[2], strict=True)))
        quiet = s.scalar(select(Member.id).where(Member.display_name == "Quiet"))
        s.execute(text("DELETE FROM activity WHERE member_id = :m"), {"m": quiet})    # its rollup row is stale now
        s.commit()
        repaired = scoring.full(s, o.id, NOW).member_days
        s.commit()
        after = sorted(s.execute(text("SELECT member_id, day, type, n, n_custom, w_custom, promoters FROM member_day"
                                      )).all())
        rescored = {m.id: m.score for m in s.scalars(select(Member))}
    assert after == [r for r in good if r[0] != quiet]
    assert 0 < repaired < len(good) / 2                  # only the drifted members' days were rebuilt
    for member_id, score in scores.items():
        assert rescored[member_id] == pytest.approx(0.0 if member_id == quiet else score, rel=1e-9, abs=1e-12)
