"""Leader candidates on a hand-made reply graph (tests/support/leaders.py): who is suggested, with which
figures, and who never is."""
from __future__ import annotations

from sqlalchemy import select

from tenants.community import profile
from tenants.community.models import Member
from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.leaders import candidates, leaders
from tests.support import leaders as graph

ACTOR = Actor(email="t@acme.test")


def _found(w: graph.World, mutate=None) -> dict[str, candidates.Candidate]:
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        if mutate:
            mutate(s)
            s.flush()
        candidates.compute(s, w.o.id, w.now)
        s.commit()
        return {c.member.display_name.lower(): c for c in candidates.listing(s, w.o.id)}


def _member(s, w, name: str) -> Member:
    return s.get(Member, w.ids[name])


def test_candidates_and_their_figures_on_a_hand_made_reply_graph():
    w = graph.build()
    found = _found(w)
    # By influence (Second, Kept and Gone tie: by id); fans are participants, Boss staff, Robot a bot.
    assert list(found) == ["star", "second", "kept", "gone"]
    star = found["star"]
    assert (star.answered_by, star.reached, star.posts, star.stage) == (41, 3, 12, "active")   # the bot left out
    assert star.top_percent == 1
    second = found["second"]
    assert (second.answered_by, second.reached, second.posts) == (8, 0, 8)
    assert found["kept"].answered_by == 8 and found["kept"].posts == 6


def test_existing_leaders_and_dismissed_members_are_not_candidates_until_the_dismissal_is_undone():
    w = graph.build()

    def prepare(s):
        leaders.add(s, _member(s, w, "kept"), "invited", ACTOR)
        candidates.dismiss(s, _member(s, w, "gone"), ACTOR)
    assert list(_found(w, prepare)) == ["star", "second"]
    assert list(_found(w)) == ["star", "second"]              # the dismissal is remembered by the next run
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        assert [m.display_name for m in candidates.dismissed(s, w.o.id)] == ["Gone"]
    assert list(_found(w, lambda s: candidates.restore(s, _member(s, w, "gone"), ACTOR))) == ["star", "second", "gone"]


def test_staff_bots_merged_and_erased_members_are_never_candidates():
    w = graph.build()
    assert "boss" not in _found(w) and "robot" not in _found(w)

    def flag(s):      # flagged after scoring, before the next scoring run: still left out
        profile.set_flag(s, [w.ids["star"]], "is_bot", True)
        profile.set_flag(s, [w.ids["second"]], "is_staff", True)
    assert list(_found(w, flag)) == ["kept", "gone"]

    def erase(s):
        profile.erase_member(s, _member(s, w, "kept"), ACTOR)
        _member(s, w, "gone").merged_into_id = w.ids["fan1"]
    assert _found(w, erase) == {}


def test_a_stored_candidate_who_became_a_leader_is_no_longer_listed():
    w = graph.build()
    _found(w)
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        leaders.add(s, _member(s, w, "star"), "candidate", ACTOR)
        assert "Star" not in [c.member.display_name for c in candidates.listing(s, w.o.id)]


def test_candidates_of_one_organisation_never_name_another_organisations_members():
    w = graph.build()
    other = graph.build("Beta", "o@beta.test", "Tea")
    _found(w)
    with tenant_scope(other.a.id, other.o.id), job_session() as s:
        assert candidates.listing(s, other.o.id) == []
        assert s.scalars(select(Member.id).where(Member.id == w.ids["star"])).all() == []
