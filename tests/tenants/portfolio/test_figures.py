"""The portfolio's figures are the registry's: each equals kpis.compute for the same organisation and day, for
several organisations read at once."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tenants import kpis, portfolio, scoring
from tenants.agency import access
from tenants.agency.access import Membership
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.metrics import rollups
from tests.support import factories
from tests.support.scoring import NOW, act

DAY = timedelta(days=1)
CODES = {"members": "members", "active_30d": "active_30d", "loyal_advocates": "loyal_advocates",
         "at_risk_share": "at_risk_share", "nps": "nps"}


def _history(prefix: str, people: int) -> list:
    out = []
    for i in range(people):
        who = f"{prefix}{i}"
        for k in range(0, 200, 7 + i):        # regular members, some of them for long enough to be loyal
            out.append(act(who, "post" if i % 2 else "message", NOW - (k + i) * DAY, f"{who}-{k}"))
        if i % 3 == 0:
            out.append(act(who, "survey_answer", NOW - (i + 1) * DAY, f"{who}-nps", meta={"nps": (i * 3) % 11}))
    return out


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    coffee, tea, empty = (factories.org(a, n) for n in ("Coffee", "Tea", "Empty"))
    factories.ingest_into(a, coffee, _history("c", 9))
    factories.ingest_into(a, tea, _history("t", 4))
    for o in (coffee, tea):
        with tenant_scope(a.id, o.id), job_session() as s:
            scoring.full(s, o.id, NOW - 30 * DAY)
            rollups.rollup(s, o.id, days=90, as_of=NOW - 30 * DAY)     # the snapshot 30 days before
            scoring.full(s, o.id, NOW)
            rollups.rollup(s, o.id, days=90, as_of=NOW)
            s.commit()
    return a, coffee, tea, empty


def test_every_portfolio_figure_equals_the_registry_on_the_same_day(world):
    a, coffee, tea, empty = world
    day = NOW.date()
    with tenant_scope(a.id), job_session() as s:
        rows = {r.org.id: r for r in portfolio.rows(s, access.visible_orgs(s, Membership(1, "owner")))}
        for o in (coffee, tea):
            f = rows[o.id].figures
            assert f.day == day
            got = kpis.compute(s, o.id, kpis.trailing(day), tuple(CODES.values()))
            before = kpis.compute(s, o.id, kpis.trailing(day - 30 * DAY), ("active_30d", "at_risk_share"))
            for attr, code in CODES.items():
                assert getattr(f, attr) == got[code], (o.name, code)
            assert f.active_30d_before == before["active_30d"]
            assert f.at_risk_share_before == before["at_risk_share"]
        c = rows[coffee.id].figures
        assert c.members == 9 and c.active_30d == 9 and c.loyal_advocates > 0 and c.nps is not None
        assert c.active_30d_before is not None and c.at_risk_share_before is not None and c.active_change is not None
        assert rows[tea.id].figures.members == 4
        assert c.last_data_at == NOW - 0 * DAY
        e = rows[empty.id].figures            # no metrics pass: no data, never zeros
        assert (e.day, e.members, e.active_30d, e.nps, e.at_risk_share, e.last_data_at) == (None,) * 6


def test_today_the_stored_snapshot_equals_the_live_registry(world):
    a, coffee, _tea, _empty = world
    with tenant_scope(a.id, coffee.id), job_session() as s:
        rollups.rollup(s, coffee.id, days=40)          # a pass today: compute reads today's levels live
        s.commit()
    with tenant_scope(a.id), job_session() as s:
        org = next(o for o in access.visible_orgs(s, Membership(1, "owner")) if o.id == coffee.id)
        f = portfolio.rows(s, [org])[0].figures
        today = utcnow().date()
        got = kpis.compute(s, coffee.id, kpis.trailing(today), tuple(CODES.values()))
    assert f.day == today
    assert {attr: getattr(f, attr) for attr in CODES} == {attr: got[code] for attr, code in CODES.items()}


def test_a_manager_sees_only_their_organisations_and_sorting_keeps_no_data_last(world):
    a, coffee, tea, empty = world
    with tenant_scope(a.id), job_session() as s:
        mine = access.visible_orgs(s, Membership(1, "manager", {tea.id}))
        assert [r.org.name for r in portfolio.rows(s, mine)] == ["Tea"]
        every = access.visible_orgs(s, Membership(1, "owner"))
        assert [r.org.name for r in portfolio.rows(s, every, "-members")] == ["Coffee", "Tea", "Empty"]
        assert [r.org.name for r in portfolio.rows(s, every, "members")] == ["Tea", "Coffee", "Empty"]
        assert [r.org.name for r in portfolio.rows(s, every, "-name")] == ["Tea", "Empty", "Coffee"]
        assert portfolio.parse_sort("bogus") == ("attention", True)
