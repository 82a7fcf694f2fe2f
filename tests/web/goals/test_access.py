"""Who may read and change goals: staff of the organisation do everything; its client reads the list and the goal
page and gets 404 on every change; another organisation's manager and client and another agency's owner get 404
on every route; a goal of another organisation is not found under this one's address."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.goals.models import Goal
from tests.support.goals import goal
from tests.support.http import csrf_of, login

BASE = "/acme/coffee/goals"


def _routes(gid: str, base: str = BASE) -> tuple[list[str], list[str], list]:
    reads = [f"{base}/", f"{base}/{gid}"]
    staff_reads = [f"{base}/new", f"{base}/new?template=keep_loyal", f"{base}/{gid}/edit", f"{base}/kpi?kpi=new"]
    posts = [(f"{base}/new", {"title": "x", "kpi": "new"}), (f"{base}/{gid}/edit", {"title": "x"}),
             (f"{base}/{gid}/close", {"note": "closing it now, sorry"}), (f"{base}/{gid}/reopen", {}),
             (f"{base}/{gid}/delete", {})]
    return reads, staff_reads, posts


def _state(w) -> list:
    with tenant_scope(w.a.id), job_session() as s:
        return sorted((g.title, g.closed_at is None, tuple(map(str, g.targets))) for g in s.scalars(select(Goal)))


def test_staff_reach_every_route(client, world):
    gid = goal(world.a, world.o)
    login(client, "m@acme.test")
    reads, staff_reads, _posts = _routes(gid)
    for url in reads + staff_reads:
        assert client.get(url).status_code == 200, url
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 200, url


def test_a_client_reads_goals_but_changes_nothing(client, world):
    gid = goal(world.a, world.o, "Roast more")
    login(client, "c@acme.test")
    assert 'data-testid="nav-goals"' in client.get("/acme/coffee/").text
    reads, staff_reads, posts = _routes(gid)
    for url in reads:
        assert client.get(url).status_code == 200, url
    shown = client.get(f"{BASE}/{gid}").text
    assert "Roast more" in shown and 'data-testid="goal-chart"' in shown
    for marker in ('data-testid="edit-goal"', 'data-testid="delete-goal"', 'data-testid="close-goal"',
                   'data-testid="new-goal"'):
        assert marker not in shown, marker
    assert 'data-testid="new-goal"' not in client.get(f"{BASE}/").text
    for url in staff_reads:
        assert client.get(url).status_code == 404, url
    token = csrf_of(client, "/account/")
    before = _state(world)
    for url, data in posts:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404, url
        assert client.post(url, data=data, headers={"HX-Request": "true", "X-CSRFToken": token}).status_code == 404
    assert _state(world) == before


@pytest.mark.parametrize("email", ["o@beta.test", "m2@acme.test", "c2@acme.test"])
def test_outsiders_get_404_on_every_goal_route(client, world, email):
    gid = goal(world.a, world.o)
    login(client, email)
    reads, staff_reads, posts = _routes(gid)
    for url in reads + staff_reads:
        assert client.get(url).status_code == 404, (email, url)
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 404, (email, url)
    token = csrf_of(client, "/account/")
    before = _state(world)
    for url, data in posts:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404, (email, url)
    assert _state(world) == before


def test_a_goal_of_another_organisation_is_not_found_under_this_one(client, world):
    theirs = goal(world.a, world.tea, "Tea goal")
    login(client, "o@acme.test")
    reads, staff_reads, posts = _routes(theirs)
    for url in reads[1:] + staff_reads[2:3]:
        assert client.get(url).status_code == 404, url
    token = csrf_of(client, "/account/")
    before = _state(world)
    for url, data in posts[1:]:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404, url
    assert _state(world) == before
    assert "Tea goal" not in client.get(f"{BASE}/").text
    assert client.get(f"/acme/tea/goals/{theirs}").status_code == 200       # positive control


def test_a_segment_of_another_organisation_cannot_scope_a_goal(client, world):
    from tenants.segments import service as segments
    from tests.support.goals import ACTOR
    with tenant_scope(world.a.id, world.tea.id), job_session() as s:
        theirs = segments.create(s, world.tea.id, {"name": "Tea people", "kind": "static"}, ACTOR).public_id
        s.commit()
    login(client, "m@acme.test")
    token = csrf_of(client, "/account/")
    r = client.post(f"{BASE}/new", data={"csrf_token": token, "title": "x", "kpi": "new", "category": "awareness",
                                          "segment": theirs, "target_value": "9", "target_due": "2030-01-01"})
    assert r.status_code == 422 and 'data-testid="error-segment"' in r.text
    assert _state(world) == []
