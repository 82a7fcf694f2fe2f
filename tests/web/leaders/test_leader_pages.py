"""The leader pages: the list with its candidates and their reasons (English and Russian), the candidates job
through a real worker, adding an organisation, the leader page, what a client sees and may not do, the
dashboard's quiet-leaders panel."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from tenants.agency.models import JobRun
from tenants.community.models import Member
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.leaders import candidates, leaders
from tenants.leaders.models import Leader, LeaderSettings, Touchpoint
from tests.support import factories
from tests.support import leaders as graph
from tests.support.http import login, post
from tests.support.workers import work_burst

ACTOR = Actor(email="t@acme.test")
BASE = "/acme/coffee/leaders/"


def _world(with_leader: bool = True):
    w = graph.build()
    factories.person(w.a, "m@acme.test", "manager", [w.o.id])
    factories.person(w.a, "c@acme.test", "client", [w.o.id])
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        candidates.compute(s, w.o.id, w.now)
        if with_leader:
            kept = leaders.add(s, s.get(Member, w.ids["kept"]), "active", ACTOR)
            leaders.add_touchpoint(s, kept, "gift", (w.now - timedelta(days=5)).date(), "a secret hoodie", ACTOR)
            w.kept = kept.public_id
    return w


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_the_list_shows_leaders_and_candidates_with_their_reasons_in_english_and_russian(client):
    w = _world()
    login(client, "m@acme.test")
    page = _text(client.get(BASE))
    assert "Kept" in page and "Active leader" in page
    assert ("answered by 41 members in 90 days, top 1% influence, reached 3 members, 12 posts, active" in page)
    ru = _text(client.get(BASE, headers={"Accept-Language": "ru"}))      # the manager saved no language
    assert "Лидеры мнений" in ru and "Активный лидер" in ru
    assert "ответил 41 участник за 90 дней, топ 1 % по влиянию, охватил 3 участников, 12 постов, активный" in ru
    assert w.kept


def test_the_candidates_button_runs_the_job_through_a_worker(client, worker_env):
    w = _world(with_leader=False)
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        leaders.add(s, s.get(Member, w.ids["star"]), "candidate", ACTOR)     # no longer a candidate
    login(client, "m@acme.test")
    r = post(client, BASE + "candidates/run", htmx=True)
    assert r.status_code == 200 and 'data-testid="candidates-progress"' in r.get_data(as_text=True)
    assert post(client, BASE + "candidates/run", htmx=True).status_code == 200     # joins the waiting run
    assert work_burst(worker_env).returncode == 0
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        runs = s.scalars(select(JobRun).where(JobRun.kind == "leader_candidates")).all()
        assert [(r.status, r.result) for r in runs] == [("done", {"candidates": 3})]
    body = _text(client.get(BASE + "candidates", headers={"HX-Request": "true"}))
    assert "candidates-progress" not in body and "Second" in body and "answered by 41" not in body


def test_dismissing_and_restoring_a_candidate(client):
    w = _world()
    login(client, "m@acme.test")
    star = w.ids["star"]
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        pid = s.get(Member, star).public_id
    body = _text(post(client, f"{BASE}candidates/{pid}/dismiss", htmx=True))
    assert "answered by 41" not in body and "1 dismissed" in body
    body = _text(post(client, f"{BASE}candidates/{pid}/restore", htmx=True))
    assert "dismissed" not in body
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        candidates.compute(s, w.o.id, w.now)
    assert "answered by 41" in _text(client.get(BASE))


def test_adding_a_candidate_moving_it_to_active_and_logging_a_touchpoint(client):
    w = _world(with_leader=False)
    login(client, "m@acme.test")
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        pid = s.get(Member, w.ids["star"]).public_id
    r = post(client, BASE + "add", {"member_id": pid, "status": "candidate"}, htmx=True)
    assert r.status_code == 204 and "/leaders/" in r.headers["HX-Redirect"]
    page = r.headers["HX-Redirect"]
    assert post(client, BASE + "add", {"member_id": pid, "status": "active"}, htmx=True).status_code == 422
    r = post(client, page + "/status", {"status": "active", "note": "agreed to co-host"}, htmx=True)
    assert r.status_code == 204
    r = post(client, page + "/touchpoints", {"kind": "co_created_post", "day": utcnow().date().isoformat(),
                                              "note": "wrote the launch post"}, htmx=True)
    assert r.status_code == 200 and "wrote the launch post" in r.get_data(as_text=True)
    assert post(client, page + "/touchpoints", {"kind": "séance", "day": "2026-01-01"}, htmx=True).status_code == 422
    assert post(client, page + "/touchpoints", {"kind": "call", "day": "2999-01-01"}, htmx=True).status_code == 422
    body = _text(client.get(page))
    assert "Active leader" in body and "agreed to co-host" in body and "too early" in body
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        leader = s.scalar(select(Leader))
        assert leader.status == "active" and [t.kind for t in s.scalars(select(Touchpoint))] == ["co_created_post"]


def test_an_organisation_is_added_as_a_member_of_kind_organisation_and_made_a_leader(client):
    w = _world(with_leader=False)
    login(client, "m@acme.test")
    r = post(client, BASE + "organisations", {"name": "Daily Roast Media", "kind": "media", "status": "invited"},
             htmx=True)
    assert r.status_code == 204
    assert post(client, BASE + "organisations", {"name": "  ", "status": "invited"}, htmx=True).status_code == 422
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        m = s.scalar(select(Member).where(Member.display_name == "Daily Roast Media"))
        assert m.kind == "organisation" and s.scalar(select(Leader.kind).where(Leader.member_id == m.id)) == "media"
        assert s.scalar(select(Member.kind).where(Member.id == w.ids["star"])) == "person"


def test_a_client_sees_the_leaders_and_their_impact_but_no_notes_and_cannot_change_anything(client):
    w = _world()
    login(client, "c@acme.test")
    listing = _text(client.get(BASE))
    assert "Kept" in listing and "Candidates" not in listing and "answered by 41" not in listing
    page = _text(client.get(f"{BASE}{w.kept}"))
    assert "Touchpoints" in page and "Gift" in page and "too early" in page
    assert "a secret hoodie" not in page and "Change status" not in page
    for path, data in ((f"{BASE}{w.kept}/status", {"status": "alumni"}), (f"{BASE}{w.kept}/touchpoints",
                       {"kind": "call", "day": "2026-01-01"}), (BASE + "add", {"member_id": "x"}),
                       (BASE + "settings", {"quiet_days": "3"}), (BASE + "candidates/run", {})):
        assert post(client, path, data, htmx=True).status_code == 404
    assert client.get(BASE + "candidates").status_code == 404
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        assert s.scalar(select(Leader.status)) == "active"


def test_the_dashboard_lists_leaders_gone_quiet(client):
    w = _world()
    login(client, "m@acme.test")
    assert post(client, BASE + "settings", {"quiet_days": "60"}, htmx=True).status_code == 200
    assert "Every active leader has been active lately." in _text(client.get(f"{BASE}quiet"))
    assert 'data-testid="quiet-badge"' not in _text(client.get(BASE))
    assert post(client, BASE + "settings", {"quiet_days": "abc"}, htmx=True).status_code == 422
    assert post(client, BASE + "settings", {"quiet_days": "1"}, htmx=True).status_code == 200
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        assert s.scalar(select(LeaderSettings.quiet_days)) == 1
    # Kept last posted weeks ago: with one quiet day Kept has gone quiet.
    panel = _text(client.get(f"{BASE}quiet"))
    assert "Leaders gone quiet" in panel and "Kept" in panel
    assert 'data-testid="quiet-badge"' in _text(client.get(BASE))
    assert 'hx-get="/acme/coffee/leaders/quiet"' in _text(client.get("/acme/coffee/"))


def test_any_member_of_the_organisation_is_added_by_profile_link_and_no_other_organisations(client):
    w = _world(with_leader=False)
    other = factories.org(w.a, "Tea")
    factories.ingest_into(w.a, other, [graph.act("tom", "message", utcnow() - timedelta(days=1), "tom-1")])
    with tenant_scope(w.a.id, other.id), job_session() as s:
        tom = s.scalar(select(Member.public_id).where(Member.display_name == "Tom"))
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        fan = s.get(Member, w.ids["fan7"]).public_id
    login(client, "m@acme.test")
    link = f"http://localhost/acme/coffee/members/{fan}/"
    assert post(client, BASE + "add", {"member_id": link, "status": "invited"}, htmx=True).status_code == 204
    assert post(client, BASE + "add", {"member_id": tom, "status": "invited"}, htmx=True).status_code == 404
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        assert s.scalars(select(Leader.member_id)).all() == [w.ids["fan7"]]
