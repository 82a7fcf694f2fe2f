"""The event report on a hand-made history with known answers: counts, first-timers, returned within 90 days
(known and not yet), NPS and response rate, stages before the event (the stage history where it reaches back,
else the stage rules), the turnout forecast before and after, and the organisation's figures."""
from __future__ import annotations

import math
from datetime import timedelta

import pytest

from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.events import events, forecast, report, summary
from tenants.scoring.models import StageChange
from tests.support import factories
from tests.support.event_history import TODAY, members, noon, past_event, upcoming_event


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    ids = members(a, o, {"ann": [300], "bob": [300, 30], "cat": [300], "dan": [300, 20], "eve": [300],
                         "fay": [10]})
    e1 = past_event(a, o, 100, ids, registered=("ann", "bob", "cat"), came=("ann", "bob"))
    with tenant_scope(a.id, o.id), job_session() as s:     # dan's stage history reaches back before E2
        s.add(StageChange(org_id=o.id, member_id=ids["dan"], from_stage=None, to_stage="loyal",
                          changed_at=noon(53)))
        s.commit()
    e2 = past_event(a, o, 50, ids, registered=("ann", "cat", "dan"), came=("ann", "dan"), walk_ins=("eve", "fay"),
                    survey={"ann": 10, "dan": 9, "eve": 3})
    nxt = upcoming_event(a, o, 10, ids, registered=("ann", "cat", "dan"))
    return a, o, ids, {"e1": e1, "e2": e2, "next": nxt}


def _event(s, o, pid):
    return events.by_public_id(s, o.id, pid)


def test_counts_first_timers_survey_and_stages_before(world):
    a, o, ids, ev = world
    with tenant_scope(a.id, o.id), job_session() as s:
        r = report.of_event(s, _event(s, o, ev["e2"]))
    c = r.counts
    assert (c.registered, c.attended, c.walk_ins, c.no_shows) == (3, 4, 2, 1)
    assert c.no_show_rate == pytest.approx(1 / 3)
    assert (r.first_timers, r.returning) == (3, 1)          # dan, eve, fay new to events; ann came to E1
    assert (c.survey_sent, c.survey_responses, c.response_rate) == (4, 3, 0.75)
    assert c.nps == round(100 * (2 - 1) / 3)
    # ann reconstructed by the rules (a score of about 6: participant); dan from the history (loyal); eve's one
    # message 250 days before leaves her a newcomer; fay was first seen at the event itself.
    assert {k: v for k, v in r.stages.items() if v} == {"participant": 1, "loyal": 1, "newcomer": 1, "new": 1}


def test_returned_within_90_days_known_and_not_yet(world):
    a, o, ids, ev = world
    now = utcnow()
    with tenant_scope(a.id, o.id), job_session() as s:
        old = report.returned(s, _event(s, o, ev["e1"]), now)
        recent_event = _event(s, o, ev["e2"])
        recent = report.returned(s, recent_event, now)
    # E1's attendees ann (came to E2) and bob (a message 30 days ago, inside the 90 days after E1? no: E1 ended
    # 100 days ago, so its 90 days ended 10 days ago and bob's message 30 days ago is inside).
    assert old.known and old.days_left == 0
    assert (old.returned, old.to_event, old.active, old.of) == (2, 1, 2, 2)
    # E2 ended 50 days ago: 40 days to go. So far ann (registered for the next one) and dan (a message 20 days ago)
    # are back; fay's message 10 days ago too; eve is not.
    until = recent_event.ends_at + timedelta(days=90)
    assert not recent.known and recent.days_left == math.ceil((until - now).total_seconds() / 86400)
    assert (recent.returned, recent.of) == (3, 4)


def test_forecast_before_the_event_from_each_registrants_own_show_rate(world):
    a, o, ids, ev = world
    with tenant_scope(a.id, o.id), job_session() as s:
        f = forecast.of_event(s, _event(s, o, ev["next"]))
    org = 4 / 6                                 # E1: 2 of 3 came; E2: 2 of 3 came (walk-ins left out)
    ann = (2 + 2 * org) / (2 + 2)               # 2 of 2
    cat = (0 + 2 * org) / (2 + 2)               # 0 of 2
    dan = (1 + 2 * org) / (1 + 2)               # 1 of 1
    assert (f.registrants, f.first_timers, f.past_events) == (3, 0, 2)
    assert f.org_rate == pytest.approx(org)
    assert f.expected == pytest.approx(ann + cat + dan)
    spread = 1.96 * math.sqrt(sum(p * (1 - p) for p in (ann, cat, dan)))
    assert f.low == pytest.approx(max(0, ann + cat + dan - spread)) and f.high == pytest.approx(3)
    assert not f.ended and f.came is None


def test_forecast_after_the_event_stands_beside_what_happened(world):
    a, o, ids, ev = world
    with tenant_scope(a.id, o.id), job_session() as s:
        f = forecast.of_event(s, _event(s, o, ev["e2"]))
        first = forecast.of_event(s, _event(s, o, ev["e1"]))
    org = 2 / 3                                 # E1 only: the events before E2
    expected = (1 + 2 * org) / 3 + (0 + 2 * org) / 3 + org     # ann 1 of 1, cat 0 of 1, dan a first-timer
    assert f.ended and (f.registrants, f.first_timers, f.came, f.walk_ins) == (3, 1, 2, 2)
    assert f.expected == pytest.approx(expected) and f.error == pytest.approx(expected - 2)
    assert first.expected is None and first.org_rate is None and first.came == 2     # no history: no forecast


def test_organisation_figures(world):
    a, o, ids, ev = world
    with tenant_scope(a.id, o.id), job_session() as s:
        got = summary.of_org(s, o.id)
        none = summary.of_org(s, o.id, now=TODAY - timedelta(days=200))
    assert (got.held, got.registered, got.came, got.walk_ins) == (2, 6, 4, 2)
    assert got.attendance_rate == pytest.approx(4 / 6)
    assert (got.attendees, got.repeat) == (5, 1) and got.repeat_rate == pytest.approx(1 / 5)
    assert [c.nps for _e, c in got.events] == [None, 33]
    assert none.held == 0 and none.attendance_rate is None and none.repeat_rate is None


def test_another_organisation_sees_none_of_it(world):
    a, o, ids, ev = world
    b = factories.agency("Other", "x@other.test")
    p = factories.org(b, "Tea")
    with tenant_scope(b.id, p.id), job_session() as s:
        assert events.by_public_id(s, p.id, ev["e2"]) is None
        assert summary.of_org(s, p.id).held == 0
