"""Registrations: idempotency, capacity and waitlist promotion order, cancellation, walk-ins, a double scan, undo;
attendance in the score (by the model's weight, undo restores it, incremental = full); the event checks."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tenants import scoring
from tenants.community.models import Activity, Member
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.events import events
from tenants.events import registrations as regs
from tenants.events.events import EventError
from tenants.events.models import Registration, RegistrationLog
from tests.support import factories
from tests.support.events import ACTOR, event, people


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    return a, o, people(a, o)


def _scoped(world):
    a, o, _ids = world
    return tenant_scope(a.id, o.id), job_session()


def test_registering_twice_is_one_registration_with_one_activity(world):
    a, o, ids = world
    pid = event(a, o)
    with tenant_scope(a.id, o.id), job_session() as s:
        e = events.by_public_id(s, o.id, pid)
        first, created = regs.register(s, e, ids["ann"], "form", ACTOR)
        again, created_again = regs.register(s, e, ids["ann"], "api", ACTOR)
        s.commit()
        assert created and not created_again and first.id == again.id and first.source == "form"
        assert s.scalar(select(func.count()).select_from(Activity).where(
            Activity.member_id == ids["ann"], Activity.type == "event_registration")) == 1
        assert len(first.ticket) >= 22 and first.ticket != regs.register(s, e, ids["bob"], "form")[0].ticket


def test_capacity_waitlists_and_a_cancellation_promotes_the_first_waiting(world):
    a, o, ids = world
    pid = event(a, o, capacity=2)
    with tenant_scope(a.id, o.id), job_session() as s:
        e = events.by_public_id(s, o.id, pid)
        t0 = datetime.now(UTC) - timedelta(hours=5)
        made = {n: regs.register(s, e, ids[n], "manual", ACTOR, at=t0 + timedelta(minutes=i))[0]
                for i, n in enumerate(("ann", "bob", "cat", "dan", "eve"))}
        assert [made[n].status for n in ("ann", "bob", "cat", "dan", "eve")] == [
            "registered", "registered", "waitlisted", "waitlisted", "waitlisted"]
        promoted = regs.cancel(s, made["bob"], e, ACTOR)
        assert promoted.id == made["cat"].id and made["cat"].status == "registered"
        assert regs.cancel(s, made["dan"], e, ACTOR) is None        # a waitlisted place frees nothing
        assert regs.taken(s, e) == 2
        actions = [r.action for r in s.scalars(select(RegistrationLog).where(
            RegistrationLog.registration_id == made["cat"].id).order_by(RegistrationLog.id))]
        assert actions == ["waitlisted", "promoted"]
        again, created = regs.register(s, e, ids["bob"], "form", ACTOR)    # full again: back on the waitlist
        assert created and again.status == "waitlisted"


def test_without_promotion_a_freed_place_stays_free(world):
    a, o, ids = world
    pid = event(a, o, capacity=1, promote_waitlist=False)
    with tenant_scope(a.id, o.id), job_session() as s:
        e = events.by_public_id(s, o.id, pid)
        ann, _ = regs.register(s, e, ids["ann"], "manual")
        bob, _ = regs.register(s, e, ids["bob"], "manual")
        assert regs.cancel(s, ann, e) is None and bob.status == "waitlisted" and regs.taken(s, e) == 0


def test_walk_ins_double_scans_and_undo(world):
    a, o, ids = world
    pid = event(a, o)
    with tenant_scope(a.id, o.id), job_session() as s:
        e = events.by_public_id(s, o.id, pid)
        ann, _ = regs.register(s, e, ids["ann"], "form")
        assert regs.check_in(s, e, ids["ann"])[1] == "checked_in"
        assert regs.check_in(s, e, ids["ann"])[1] == "already"
        walk, outcome = regs.check_in(s, e, ids["bob"])
        assert outcome == "walk_in" and walk.walk_in and walk.source == "walk_in" and walk.status == "registered"
        assert regs.by_ticket(s, e, ann.ticket).id == ann.id and regs.by_ticket(s, e, "x" * 30) is None
        with pytest.raises(EventError):
            regs.cancel(s, ann, e)
        regs.undo_check_in(s, ann, e, ACTOR)
        s.commit()
        assert ann.checked_in_at is None
        kinds = s.execute(select(Activity.member_id, Activity.type).where(Activity.type == "event_attendance")).all()
        assert [tuple(k) for k in kinds] == [(ids["bob"], "event_attendance")]
        assert regs.check_in(s, e, ids["ann"])[1] == "checked_in"        # checked in again after the undo


def test_attendance_adds_its_weight_to_the_score_and_undo_takes_it_back(world):
    a, o, ids = world
    pid = event(a, o)
    score = lambda s: s.get(Member, ids["ann"]).score  # noqa: E731

    def settle_score():
        factories.settle(a, o)
        with tenant_scope(a.id, o.id), job_session() as s:
            return score(s)
    before = settle_score()
    with tenant_scope(a.id, o.id), job_session() as s:
        e = events.by_public_id(s, o.id, pid)
        regs.register(s, e, ids["ann"], "form")
        s.commit()
    registered = settle_score()
    with tenant_scope(a.id, o.id), job_session() as s:
        e = events.by_public_id(s, o.id, pid)
        reg, _ = regs.check_in(s, e, ids["ann"])
        s.commit()
    attended = settle_score()
    weights = scoring.Model().weights
    assert registered - before == pytest.approx(weights["event_registration"], rel=0.02)
    assert attended - registered == pytest.approx(weights["event_attendance"], rel=0.02)
    with tenant_scope(a.id, o.id), job_session() as s:
        scoring.full(s, o.id)
        s.commit()
        assert score(s) == pytest.approx(attended, rel=1e-6)      # incremental = full
        e = events.by_public_id(s, o.id, pid)
        regs.undo_check_in(s, s.get(Registration, reg.id), e)
        s.commit()
    assert settle_score() == pytest.approx(registered, rel=1e-6)


def test_an_event_is_checked_field_by_field(world):
    a, o, _ids = world
    with tenant_scope(a.id, o.id), job_session() as s:
        base = {"title": "T", "timezone": "Europe/Moscow", "starts_at": "2027-03-01T19:00",
                "ends_at": "2027-03-01T21:00"}
        e, _ = events.create(s, o.id, base, ACTOR)
        assert e.starts_at == datetime(2027, 3, 1, 16, 0, tzinfo=UTC) and e.timezone == "Europe/Moscow"
        for bad, field in [({"title": ""}, "title"), ({"timezone": "Mars/Base"}, "timezone"),
                           ({"starts_at": "tomorrow"}, "starts_at"), ({"ends_at": "2027-03-01T18:00"}, "ends_at"),
                           ({"capacity": 0}, "capacity"), ({"capacity": True}, "capacity"),
                           ({"format": "party"}, "format"), ({"url": "javascript:alert(1)"}, "url"),
                           ({"title": "x\x00"}, "title"), ({"tags": [1]}, "tags"),
                           ({"form_fields": ["ssn"]}, "form_fields"), ({"starts_at": "1999-01-01T00:00"}, "starts_at")]:
            with pytest.raises(EventError) as caught:
                events.create(s, o.id, {**base, **bad}, ACTOR)
            assert caught.value.field == field, bad
        same, created = events.create(s, o.id, {**base, "source_id": "luma-1"}, ACTOR)
        again, created_again = events.create(s, o.id, {**base, "title": "Other", "source_id": "luma-1"}, ACTOR)
        assert created and not created_again and same.id == again.id


def test_the_counts_of_a_hand_made_event(world):
    from tenants.events import counts
    a, o, ids = world
    pid = event(a, o, capacity=3)
    with tenant_scope(a.id, o.id), job_session() as s:
        e = events.by_public_id(s, o.id, pid)
        for n in ("ann", "bob", "cat", "dan"):
            regs.register(s, e, ids[n], "form")                   # dan waitlisted
        regs.cancel(s, regs.register(s, e, ids["cat"], "form")[0], e)   # dan promoted
        regs.check_in(s, e, ids["ann"])
        regs.check_in(s, e, ids["eve"])                           # a walk-in
        for n, score in (("ann", 10), ("eve", 3)):
            reg = s.scalar(select(Registration).where(Registration.member_id == ids[n]))
            reg.survey_sent_at, reg.survey_score = reg.checked_in_at, score
        s.flush()
        c = counts.of_event(s, e.id)                              # tomorrow's: nobody is a no-show yet
        assert (c.registered, c.attended, c.no_shows, c.no_show_rate) == (3, 2, 0, None)
        e.starts_at, e.ends_at = e.starts_at - timedelta(days=2), e.ends_at - timedelta(days=2)
        s.flush()
        c = counts.of_event(s, e.id)
        assert (c.registered, c.waitlisted, c.cancelled, c.attended, c.walk_ins, c.no_shows) == (3, 0, 1, 2, 1, 2)
        assert c.no_show_rate == pytest.approx(2 / 3) and c.survey_responses == 2 and c.nps == 0
        assert counts.of_events(s, [e.id, 10**12])[10**12].registered == 0
