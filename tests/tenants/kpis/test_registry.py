"""The KPI registry on a hand-made history with answers worked out by hand, scoped and not, today and on a
past day read from the stored snapshot."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from tenants import kpis, scoring
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.metrics import rollups
from tenants.metrics.dashboard import Period
from tenants.segments import service as segments
from tenants.segments.models import Segment
from tests.support import factories
from tests.support.scoring import NOW, act

DAY = timedelta(days=1)


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    factories.ingest_into(a, o, [
        # ann: active in both 30-day windows; bob: only the one before (churned); cat: new 3 days ago;
        # dan: seen 70 days ago, quiet, back 10 days ago (returning); eve: staff, never counts.
        act("ann", "message", NOW - 40 * DAY, "1"), act("ann", "message", NOW - 2 * DAY, "2"),
        act("bob", "message", NOW - 45 * DAY, "3"),
        act("cat", "message", NOW - 3 * DAY, "4"),
        act("cat", "survey_answer", NOW - 3 * DAY, "5", meta={"nps": 10}),
        act("ann", "survey_answer", NOW - 2 * DAY, "6", meta={"nps": 5}),
        act("dan", "message", NOW - 70 * DAY, "7"), act("dan", "message", NOW - 10 * DAY, "8"),
        act("eve", "message", NOW - 1 * DAY, "9"),
    ])
    with tenant_scope(a.id, o.id), job_session() as s:
        s.execute(text("UPDATE member SET is_staff = true WHERE display_name = 'Eve'"))
        scoring.full(s, o.id, NOW)
        rollups.rollup(s, o.id, days=90, as_of=NOW)
    return a, o


def test_every_kpi_on_a_known_history(world):
    a, o = world
    p = Period(NOW.date() - 29 * DAY, NOW.date())
    with tenant_scope(a.id, o.id), job_session() as s:
        got = kpis.compute(s, o.id, p)
    assert got["members"] == 4                          # ann, bob, cat, dan (eve is staff)
    assert got["active_7d"] == 2 and got["active_30d"] == 3       # ann, cat | ann, cat, dan
    assert got["active"] == 3
    assert got["new"] == 1                               # cat
    assert got["returning"] == 1                         # dan: quiet the 30 days before, seen before them
    assert got["churned"] == 1                           # bob
    assert got["nps"] == 0                               # one promoter, one detractor of two answers
    assert got["attendance_rate"] is None and got["repeat_attendance"] is None      # no events: no data
    assert got["active_leaders"] == 0
    assert got["segment_size"] is None                   # needs a segment
    assert got["at_risk_share"] is not None and 0 <= got["at_risk_share"] <= 100


def test_a_segment_scopes_every_scopable_kpi(world):
    a, o = world
    p = Period(NOW.date() - 29 * DAY, NOW.date())
    with tenant_scope(a.id, o.id), job_session() as s:
        seg = Segment(org_id=o.id, name="Ann and Bob", kind="static", public_id="sg_ab")
        s.add(seg)
        s.flush()
        ids = [i for (i,) in s.execute(text("SELECT id FROM member WHERE display_name IN ('Ann', 'Bob')"))]
        segments.add_members(s, seg, ids)
        got = kpis.compute(s, o.id, p, segment=seg, today=NOW.date())
    assert got["segment_size"] == 2 and got["members"] == 2
    assert got["active"] == 1 and got["churned"] == 1 and got["new"] == 0
    assert got["nps"] == -100                            # ann's answer only
    assert got["stickiness"] is None and got["active_leaders"] is None     # whole-community figures


def test_a_past_day_reads_the_stored_snapshot_and_no_snapshot_is_no_data(world):
    a, o = world
    with tenant_scope(a.id, o.id), job_session() as s:
        # The rollup keeps members for the day it ran (NOW); a week earlier has rolling counts but no snapshot.
        assert kpis.at(s, o.id, "members", NOW.date()) == 4
        week_before = NOW.date() - 7 * DAY       # no snapshot: members by first-seen date, no at-risk share
        assert kpis.at(s, o.id, "members", week_before) == 3            # cat came 3 days before NOW
        assert kpis.at(s, o.id, "at_risk_share", week_before) is None
        assert kpis.at(s, o.id, "members", NOW.date() - 50 * DAY) == 1      # dan only
        assert kpis.at(s, o.id, "loyal_advocates", week_before) is None      # mid-month: no month-end stages
        assert kpis.at(s, o.id, "active_30d", NOW.date() - 7 * DAY) == 1     # dan (10 days before NOW)
