"""Organisation metrics against brute-force answers computed in Python from the same history: WAU/MAU, period
KPIs (active, new, returning, churned), NPS, month-end stages (recorded and reconstructed), stage movement and
cohort retention."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from tenants import scoring
from tenants.community.models import Member, MemberMonth
from tenants.core import days
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.metrics import dashboard, figures, rollups
from tests.support import factories
from tests.support.scoring import NOW, act

TYPES = ("message", "message", "reply", "reaction", "post", "review", "referral")


@pytest.fixture
def org():
    a = factories.agency("Acme", "o@acme.test")
    return a, factories.org(a, "Coffee")


def history(seed: int, people: int = 30, span: int = 330) -> list[tuple[str, str, datetime]]:
    """A skewed random history: a few members busy, most occasional, some gone quiet."""
    rng = random.Random(seed)
    rows = []
    for i in range(people):
        start = rng.randint(5, span)
        stop = rng.randint(0, start - 1)
        rate = rng.choice((0.02, 0.05, 0.1, 0.3, 0.6))
        pause = rng.choice((0, 0, 20, 35))          # on and off in spells of this many days
        for age in range(stop, start + 1):
            if pause and (age // pause) % 2 and age != start:
                continue
            if rng.random() < rate or age == start:
                rows.append((f"m{i}", rng.choice(TYPES), NOW - timedelta(days=age, hours=rng.randint(0, 20))))
    return rows


def load(a, o, rows, base: int = 0) -> None:
    items = [act(who, kind, when, f"s{base + i}") for i, (who, kind, when) in enumerate(rows)]
    for i in range(0, len(items), 2_000):
        factories.ingest_into(a, o, items[i:i + 2_000])


def active_days(rows, exclude=()) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for who, _, when in rows:
        if who not in exclude:
            out.setdefault(who, set()).add(days.day_number(when))
    return out


def test_wau_mau_and_period_kpis_match_brute_force(org):
    a, o = org
    rows = history(1)
    load(a, o, rows)
    with tenant_scope(a.id, o.id), job_session() as s:
        s.execute(text("UPDATE member SET is_staff = true WHERE display_name = 'M0'"))
        scoring.full(s, o.id, NOW)
        rollups.rollup(s, o.id, days=120, as_of=NOW)
        data = {d: v for d, v in s.execute(text("SELECT day, data FROM org_day WHERE org_id = :o"), {"o": o.id})}
        end = NOW.date()
        p = dashboard.Period(end - timedelta(days=29), end)
        live = dashboard.kpis(s, o.id, p)
        first_seen = {m.display_name.lower(): m.first_seen_at for m in s.scalars(select(Member))}
    active = active_days(rows, exclude={"m0"})
    today = days.day_number(NOW)
    cached = data[today]["windows"]["30"]                       # what the dashboard's 30-day view reads
    checked = 0
    for t in range(today - 119, today + 1):
        wau = sum(1 for ds in active.values() if any(t - 7 < d <= t for d in ds))
        mau = sum(1 for ds in active.values() if any(t - 30 < d <= t for d in ds))
        assert (data[t]["wau"], data[t]["mau"]) == (wau, mau), t
        checked += wau > 0
    assert checked > 50                         # the history really covers the window

    def span(q):
        lo, hi = (q.start - date(1970, 1, 1)).days, (q.end - date(1970, 1, 1)).days
        return {w for w, ds in active.items() if any(lo <= d <= hi for d in ds)}
    now, prev, prev2 = span(p), span(p.previous()), span(p.previous().previous())
    start = datetime(p.start.year, p.start.month, p.start.day, tzinfo=NOW.tzinfo)
    expected = {"active": len(now), "churned": len(prev - now),
                "returning": len({w for w in now - prev if first_seen[w] < start}),
                "new": sum(1 for w, t in first_seen.items() if w != "m0" and start <= t <= NOW)}
    for got in (live, cached):
        assert {k: got["now"][k] for k in expected} == expected
        assert got["before"]["churned"] == len(prev2 - prev)
    assert expected["churned"] > 0 and expected["returning"] > 0
    lo = (p.start - date(1970, 1, 1)).days
    mean = sum(data[t]["dau"] / data[t]["mau"] for t in range(lo, today + 1) if data[t]["mau"]) / 30
    assert live["now"]["stickiness"] == pytest.approx(100 * mean, abs=0.05)


def test_nps_counts_each_members_latest_answer(org):
    a, o = org
    day = NOW - timedelta(days=5)
    factories.ingest_into(a, o, [
        act("dan", "survey_answer", day, "n1", meta={"nps": 10}),
        act("eve", "survey_answer", day, "n2", meta={"nps": 3}),
        act("fay", "survey_answer", day, "n3", meta={"nps": 4}),
        act("fay", "survey_answer", day + timedelta(hours=2), "n4", meta={"nps": 9}),   # fay's latest: promoter
        act("gus", "survey_answer", day, "n5", meta={"nps": 7}),
        act("hal", "survey_answer", day, "n6", meta={"comment": "no score"}),           # not an NPS answer
        act("ivy", "survey_answer", NOW - timedelta(days=60), "n7", meta={"nps": 0}),   # outside the period
    ])
    with tenant_scope(a.id, o.id), job_session() as s:
        got = figures.nps(s, o.id, NOW - timedelta(days=30), NOW)
        scoring.full(s, o.id, NOW)
        rollups.rollup(s, o.id, as_of=NOW)
        by_month = rollups.monthly(s, o.id, NOW)["nps"]
    assert got == {"score": 25, "promoters": 2, "detractors": 1, "passives": 1, "responses": 4}
    assert by_month[-1] is None                                  # June: nobody answered yet
    assert by_month[-2]["responses"] == 4 and by_month[-2]["score"] == 25      # May
    assert by_month[-3] == {"score": -100, "promoters": 0, "detractors": 1, "passives": 0, "responses": 1}


def test_nps_chart_leaves_out_months_with_fewer_than_ten_answers():
    """A month with one answer would chart as −100 or +100: only months with NPS_MIN_ANSWERS answers are charted,
    each month keeps its number of answers, and the thin ones are listed."""
    def month(responses: int, promoters: int) -> dict:
        return {"score": round(100 * (2 * promoters - responses) / responses), "promoters": promoters,
                "detractors": responses - promoters, "passives": 0, "responses": responses}
    monthly = {"nps": [None, month(1, 0), month(9, 9), month(10, 6), month(40, 30), None]}
    got = dashboard.nps_by_month(monthly)
    assert figures.NPS_MIN_ANSWERS == got["minimum"] == 10
    assert got["answers"] == [0, 1, 9, 10, 40, 0]
    assert got["scores"] == [None, None, None, 20, 50, None]
    assert got["hidden"] == [1, 2]
    assert dashboard.nps_by_month(None) == {"minimum": 10, "answers": [], "scores": [], "hidden": []}


def month_ends(count: int) -> list[datetime]:
    this = rollups.month_of(NOW.date())
    return [days.day_start((rollups.month_start(m + 1) - date(1970, 1, 1)).days)
            for m in range(this - count, this)]


def test_month_end_stages_movement_and_cohorts(org):
    """Score month by month as the history arrives, then check member_month: recorded stages where the history
    exists, reconstructed ones (no stage history at all) equal to what scoring said at each month's end."""
    a, o = org
    rows = history(7, people=40, span=320)
    ends = month_ends(10)
    expected: dict[int, dict[str, str]] = {}
    loaded = 0
    rows = sorted(rows, key=lambda r: r[2])
    for end in ends:
        batch = [r for r in rows if r[2] < end]
        load(a, o, batch[loaded:], loaded)
        loaded = len(batch)
        with tenant_scope(a.id, o.id), job_session() as s:
            # Forget the stage so far: each month's stage is then the one its rules give (no grace period).
            s.execute(text("UPDATE member SET stage = NULL, stage_below_since = NULL"))
            scoring.full(s, o.id, end)
            s.commit()
            month = rollups.month_of((end - timedelta(days=1)).date())
            expected[month] = {m.display_name.lower(): m.stage for m in s.scalars(select(Member))}
    load(a, o, rows[loaded:], loaded)

    def stored(s) -> dict[int, dict[str, str]]:
        names = {m.id: m.display_name.lower() for m in s.scalars(select(Member))}
        out: dict[int, dict[str, str]] = {}
        for mm in s.scalars(select(MemberMonth).where(MemberMonth.org_id == o.id)):
            out.setdefault(mm.month, {})[names[mm.member_id]] = mm.stage
        return out

    with tenant_scope(a.id, o.id), job_session() as s:
        scoring.full(s, o.id, NOW)
        rollups.member_months(s, o.id, NOW)
        recorded = stored(s)
        s.execute(text("DELETE FROM stage_change WHERE org_id = :o"), {"o": o.id})
        rollups.member_months(s, o.id, NOW)
        rebuilt = stored(s)
        result = rollups.monthly(s, o.id, NOW)
        current = {m.display_name.lower(): m.stage for m in s.scalars(select(Member))}
        s.rollback()
    moved = 0
    for month, stages in expected.items():
        present = {w: st for w, st in stages.items() if st is not None}
        assert recorded[month] == present, month
        assert rebuilt[month] == present, month
    this = rollups.month_of(NOW.date())
    assert rebuilt[this] == current
    # Movement: the stored matrix is the (end of previous month → end of month) count of the stages above.
    for month in range(min(expected) + 1, this + 1):
        before, after = rebuilt.get(month - 1, {}), rebuilt[month]
        want: dict[tuple, int] = {}
        for who, st in after.items():
            want[(before.get(who), st)] = want.get((before.get(who), st), 0) + 1
        got = {(f, t): n for f, t, n in result["movement"][str(month)]}
        assert got == want, month
        moved += sum(n for (f, t), n in want.items() if f and f != t)
    assert moved > 0
    # Cohorts: members first seen in a month, and how many of them were active in each later month.
    days = active_days(rows)
    first = {w: min(ds) for w, ds in days.items()}
    month_of_day = {d: rollups.month_of(date(1970, 1, 1) + timedelta(days=d)) for ds in days.values() for d in ds}
    for cohort, size, retained in result["cohorts"]:
        members_ = [w for w, d in first.items() if month_of_day[d] == cohort]
        assert size == len(members_)
        for k, n in enumerate(retained):
            assert n == sum(1 for w in members_ if any(month_of_day[d] == cohort + k for d in days[w])), (cohort, k)
        assert retained[0] == size
    assert len(result["cohorts"]) >= 6
