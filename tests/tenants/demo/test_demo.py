"""The demo as a visitor sees it: a year of activity up to the day it is loaded, members still joining, loyal
members gone quiet in every organisation, influence that tells the top members apart, NPS charted only for
months with enough answers; loading it again adds nothing, and loading it on a later day gives that day's demo."""
from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, text

from tenants.accounts.models import Agency
from tenants.agency.models import Organisation
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.demo.seed import DEMO_PASSWORD, seed
from tenants.metrics import dashboard, figures, rollups
from tests.support.http import login

MEMBERS = 400


def mid_last_month() -> datetime:
    """A moment in the past in the middle of a month, whatever day the tests run on."""
    first = datetime.now(UTC).date().replace(day=1)
    return datetime.combine((first - timedelta(days=1)).replace(day=20), time(15, 30), UTC)


def orgs() -> tuple[int, list[tuple[int, str]]]:
    with system_scope() as s:
        agency_id = s.scalar(select(Agency.id).where(Agency.slug == "demo"))
    with tenant_scope(agency_id), job_session() as s:
        return agency_id, [(o.id, o.slug) for o in s.scalars(select(Organisation).order_by(Organisation.id))]


def generated(s, org_id: int) -> list[tuple[str, datetime]]:
    return list(s.execute(text("SELECT source_id, occurred_at FROM activity WHERE org_id = :org ORDER BY 1"),
                          {"org": org_id}).all())


def test_the_demo_of_a_given_day_looks_like_a_living_community():
    now = mid_last_month()
    seed(MEMBERS, now=now)
    agency_id, demo_orgs = orgs()
    assert len(demo_orgs) == 3
    counts = {}
    for org_id, slug in demo_orgs:
        with tenant_scope(agency_id, org_id), job_session() as s:
            params = {"org": org_id, "now": now, "month": datetime.combine(now.date().replace(day=1), time(), UTC)}
            # Activity up to the hour the demo is loaded, never after it.
            last = s.scalar(text("""SELECT max(a.occurred_at) FROM activity a JOIN member m ON m.id = a.member_id
                                    WHERE a.org_id = :org AND NOT m.is_staff AND NOT m.is_bot"""), params)
            assert now - timedelta(days=1) < last <= now.replace(minute=0), slug
            # Members keep joining: this month so far, and in the last week and month up to yesterday about as
            # many as in the week and month before (the demo's joins are the same on any day: the windows are).
            joined = s.scalar(text("""SELECT count(*) FROM member WHERE org_id = :org AND NOT is_staff
                                      AND NOT is_bot AND first_seen_at >= :month AND first_seen_at <= :now"""), params)
            assert joined > 0, slug
            for days in (7, 30):
                new = dashboard.kpis(s, org_id, dashboard.Period(now.date() - timedelta(days=days),
                                                                 now.date() - timedelta(days=1)))
                assert new["now"]["new"] >= 0.6 * new["before"]["new"] > 0, (slug, days, new)
            # Loyal members gone quiet for a month or more: at risk, in every organisation.
            at_risk = dashboard.top(s, org_id, "at_risk")
            assert at_risk and rollups.summary(s, org_id, as_of=now)["at_risk"] == len(at_risk), slug
            assert all(m.stage in ("loyal", "advocate") and m.last_active_at <= now - timedelta(days=30)
                       for m in at_risk), slug
            # The most influential are told apart by how many members they reached, a few reaching many.
            reach = [figures["reached"] for _m, figures in dashboard.influential(s, org_id, as_of=now)[:5]]
            assert len(reach) == 5 and reach == sorted(reach, reverse=True), (slug, reach)
            assert len(set(reach)) >= 3 and max(reach) >= 1.5 * min(reach) > 0, (slug, reach)
            # A month's NPS is charted only from ten answers; thinner months are listed as left out.
            chart = dashboard.series(s, org_id, dashboard.period(30, today=now.date()))["nps"]
            assert chart["minimum"] == figures.NPS_MIN_ANSWERS == 10
            assert [score is not None for score in chart["scores"]] == [n >= 10 for n in chart["answers"]]
            assert chart["hidden"] == [i for i, n in enumerate(chart["answers"]) if 0 < n < 10]
            assert chart["hidden"] and any(score is not None for score in chart["scores"]), (slug, chart)
            counts[org_id] = len(generated(s, org_id))
    # Loading it again the same hour adds nothing.
    seed(MEMBERS, now=now + timedelta(minutes=20))
    with system_scope() as s:
        assert {org_id: len(generated(s, org_id)) for org_id, _ in demo_orgs} == counts


def test_loading_on_a_later_day_gives_that_days_demo(owner_engine):
    """Seeded on one day and again three days later (at an earlier hour), the demo is the one seeded fresh on
    the later day: the same activity at the same moments, the same scores and at-risk members."""
    later = mid_last_month()

    def snapshot() -> dict:
        agency_id, demo_orgs = orgs()
        out = {}
        for org_id, slug in demo_orgs:
            with tenant_scope(agency_id, org_id), job_session() as s:
                members = s.execute(text("""
                    SELECT display_name, round(CAST(score AS numeric), 9), at_risk, first_seen_at, last_active_at
                    FROM member WHERE org_id = :org ORDER BY 1, 4"""), {"org": org_id}).all()
                latest = s.scalar(text("SELECT max(stage_since) FROM member WHERE org_id = :org"), {"org": org_id})
                assert latest <= later
                out[slug] = (generated(s, org_id), members)
        return out

    seed(60, now=later - timedelta(days=3) + timedelta(hours=5))
    seed(60, now=later)
    moved = snapshot()
    with owner_engine.begin() as conn:
        conn.execute(text("TRUNCATE agency, user_account RESTART IDENTITY CASCADE"))
    seed(60, now=later)
    assert snapshot() == moved


def test_the_dashboard_of_the_demo_today(client):
    seed(MEMBERS)
    login(client, "owner@demo.communa.test", DEMO_PASSWORD)
    page = client.get("/demo/nordic-coffee/?days=7").text
    today = datetime.now(UTC).date()
    dash = json.loads(html.unescape(re.search(r"data-dash='([^']*)'", page).group(1)))
    assert dash["labels"][-1] == today.isoformat() and dash["dau"][-2] > 0      # yesterday was a busy day
    new = re.search(r'data-testid="kpi-new".*?kpi-value"><a href="[^"]+">([\d,]+)<', page, re.S)
    assert int(new.group(1)) > 0
    at_risk = re.search(r'data-testid="at-risk".*?</section>', page, re.S).group(0)
    assert "Nobody yet." not in at_risk
    reach = [int(n.replace(",", "")) for n in re.findall(r'data-testid="reach" title="[^"]+">([\d,]+)<', page)]
    assert len(reach) >= 5 and reach == sorted(reach, reverse=True) and len(set(reach)) >= 3 and "%" not in re.search(
        r'data-testid="influential".*?</section>', page, re.S).group(0)
    nps = dash["nps"]
    assert [s is not None for s in nps["scores"]] == [n >= 10 for n in nps["answers"]]
    assert len(dash["nps_answers"]) == len(nps["answers"]) and dash["nps_answers"][0].endswith(("answer", "answers"))
    if nps["hidden"]:
        assert 'data-testid="nps-hidden"' in page and "Not charted, fewer than 10 answers:" in page
