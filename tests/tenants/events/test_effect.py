"""The effect on loyalty on hand-made histories: attendees against comparable members who did not attend (same
stage, similar score on the event day), the difference of mean changes at 30 and 60 days as the scoring
model's closed form gives it; "too few to tell" under the minimum; "not yet" before the horizon."""
from __future__ import annotations

import math

import pytest

from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.days import day_number, day_start
from tenants.core.db import job_session
from tenants.events import effect, events
from tests.support import factories
from tests.support.event_history import members, past_event

H = 60.0                    # the default model's half-life (days)
W_REG, W_CAME, W_MSG = 2.0, 6.0, 1.0


def _world(attendees: int, others: int, days_ago: int = 70):
    """Everyone wrote three messages 160, 150 and 140 days ago (a participant on the event day); attendees
    registered and came on the event day, and wrote once more 20 days after it. One more attendee was first
    seen at the event (not comparable)."""
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    went = [f"a{i}" for i in range(attendees)]
    history = {n: [160, 150, 140] + ([days_ago - 20] if n in went and days_ago > 20 else [])
               for n in went + [f"c{i}" for i in range(others)]}
    history["newbie"] = [1]
    ids = members(a, o, history)
    pid = past_event(a, o, days_ago, ids, registered=went, came=went, walk_ins=("newbie",), registered_days_before=0)
    return a, o, pid


def _horizons(a, o, pid, now=None):
    with tenant_scope(a.id, o.id), job_session() as s:
        return {h.days: h for h in effect.of_event(s, events.by_public_id(s, o.id, pid), now)}


def test_attendees_against_comparable_members_at_30_and_60_days():
    a, o, pid = _world(12, 12)
    got = _horizons(a, o, pid)
    for days in (30, 60):
        h = got[days]
        assert h.known and h.verdict == "shown"
        assert (h.attendees, h.others, h.unmatched) == (12, 12, 1)
        # Same history before the day: the difference is the event day's registration and check-in and the
        # message 20 days later, decayed to the horizon.
        diff = (W_REG + W_CAME) * 2 ** (-days / H) + W_MSG * 2 ** (-(days - 20) / H)
        assert h.score_diff == pytest.approx(diff)
        assert h.own == pytest.approx(W_CAME * 2 ** (-days / H))
        # On the day everyone is a participant (score ≈ 1.2); by the horizon the others' score fell below 1
        # (newcomer: one step down), the attendees' did not.
        assert h.stage == (0.0, -1.0) and h.stage_diff == 1.0
        assert h.moved_up == (0.0, 0.0)


def test_too_few_to_tell_under_the_minimum():
    a, o, pid = _world(3, 12)
    h = _horizons(a, o, pid)[30]
    assert h.known and (h.attendees, h.others) == (3, 12) and h.verdict == "too_few"
    assert h.score_diff == pytest.approx((W_REG + W_CAME) * 2 ** -0.5 + W_MSG * 2 ** (-10 / H))


def test_not_yet_while_the_horizon_has_not_passed():
    a, o, pid = _world(12, 12, days_ago=10)
    now = utcnow()
    got = _horizons(a, o, pid, now)
    start = day_number(now) - 10
    for days in (30, 60):
        h = got[days]
        assert not h.known and h.verdict == "not_yet" and h.attendees == 0 and h.score is None
        assert h.days_left == math.ceil((day_start(start + days) - now).total_seconds() / 86400)
