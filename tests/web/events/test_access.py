"""Who may read and change events: staff of the organisation do everything; its client reads the list, the
calendar and the event page and gets 404 on every change; another organisation's manager and client and another
agency's owner get 404 on every route; an event of another organisation is not found anywhere."""
from __future__ import annotations

import pytest

from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.events import events
from tenants.events.models import Event
from tests.support.events import event
from tests.support.http import csrf_of, login

from .conftest import register


def _routes(eid: str, rid: str, mid: str, base: str = "/acme/coffee/events") -> tuple[list[str], list[str], list]:
    reads = [f"{base}/", f"{base}/?when=past", f"{base}/calendar", f"{base}/{eid}"]
    staff_reads = [f"{base}/new", f"{base}/{eid}/edit", f"{base}/pick?q=an", f"{base}/{eid}/members?q=an"]
    posts = [(f"{base}/new", {"title": "x"}), (f"{base}/{eid}/edit", {"title": "x"}), (f"{base}/{eid}/delete", {}),
             (f"{base}/{eid}/registrations", {"member": mid}),
             (f"{base}/{eid}/registrations/{rid}/cancel", {}), (f"{base}/{eid}/link", {}),
             (f"{base}/{eid}/open", {"open": "0"}),
             (f"/acme/coffee/members/{mid}/events", {"event": eid})]
    return reads, staff_reads, posts


def _state(w) -> list:
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        return sorted((e.title, e.form_token, e.registration_open) for e in s.query(Event))


def _ids(w, eid: str) -> tuple[str, str]:
    from tenants.community.models import Member
    from tenants.events import registrations
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        e = events.by_public_id(s, w.o.id, eid)
        (reg, _m), = registrations.of_event(s, e)
        return reg.public_id, s.get(Member, w.ids["bob"]).public_id


def test_staff_reach_every_route(client, world):
    eid = event(world.a, world.o)
    register(world, eid, "ann")
    rid, mid = _ids(world, eid)
    login(client, "m@acme.test")
    reads, staff_reads, _posts = _routes(eid, rid, mid)
    for url in reads + staff_reads:
        assert client.get(url, headers={"HX-Request": "true"} if "q=" in url else {}).status_code == 200, url


def test_a_client_reads_events_but_changes_nothing(client, world):
    eid = event(world.a, world.o, title="Roast day")
    register(world, eid, "ann")
    rid, mid = _ids(world, eid)
    login(client, "c@acme.test")
    assert 'data-testid="nav-events"' in client.get("/acme/coffee/").text
    reads, staff_reads, posts = _routes(eid, rid, mid)
    for url in reads:
        assert client.get(url).status_code == 200, url
    shown = client.get(f"/acme/coffee/events/{eid}").text
    assert "Roast day" in shown and "Ann" in shown
    for marker in ('data-testid="cancel-registration"', 'data-testid="edit-event"', 'data-testid="new-link"',
                   'data-testid="public-link"', "/members/", 'data-testid="registration-log"', "/e/"):
        assert marker not in shown, marker
    assert 'data-testid="new-event"' not in client.get("/acme/coffee/events/").text
    for url in staff_reads:
        assert client.get(url).status_code == 404, url
    token = csrf_of(client, "/account/")
    before = _state(world)
    for url, data in posts:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404, url
        assert client.post(url, data=data, headers={"HX-Request": "true", "X-CSRFToken": token}).status_code == 404
    assert _state(world) == before


@pytest.mark.parametrize("email", ["o@beta.test", "m2@acme.test", "c2@acme.test"])
def test_outsiders_get_404_on_every_event_route(client, world, email):
    eid = event(world.a, world.o)
    register(world, eid, "ann")
    rid, mid = _ids(world, eid)
    login(client, email)
    reads, staff_reads, posts = _routes(eid, rid, mid)
    for url in reads + staff_reads:
        assert client.get(url).status_code == 404, (email, url)
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 404, (email, url)
    token = csrf_of(client, "/account/")
    before = _state(world)
    for url, data in posts:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404, (email, url)
    assert _state(world) == before


def test_an_event_of_another_organisation_is_not_found_anywhere(client, world):
    """Tea's event and registration under Coffee's address: 404 on every route, and nothing changes."""
    from tests.support.events import people
    tea_people = people(world.a, world.tea, ("zoe",))
    tea_event = event(world.a, world.tea, title="Tea tasting")
    with tenant_scope(world.a.id, world.tea.id), job_session() as s:
        from tenants.community.models import Member
        from tenants.events import registrations
        e = events.by_public_id(s, world.tea.id, tea_event)
        reg, _ = registrations.register(s, e, tea_people["zoe"], "form")
        s.commit()
        rid, tea_member = reg.public_id, s.get(Member, tea_people["zoe"]).public_id
    ours = event(world.a, world.o)
    login(client, "o@acme.test")
    reads, staff_reads, posts = _routes(tea_event, rid, tea_member)
    for url in reads[3:] + staff_reads[1:2] + staff_reads[3:]:
        assert client.get(url).status_code == 404, url
    token = csrf_of(client, "/account/")
    for url, data in posts[1:]:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404, url
    # Coffee's own event with Tea's member or registration: not found either.
    assert client.post(f"/acme/coffee/events/{ours}/registrations",
                       data={"member": tea_member, "csrf_token": token}).status_code == 404
    assert client.post(f"/acme/coffee/events/{ours}/registrations/{rid}/cancel",
                       data={"csrf_token": token}).status_code == 404
    assert "Tea tasting" not in client.get("/acme/coffee/events/").text
    with tenant_scope(world.a.id, world.tea.id), job_session() as s:
        e = events.by_public_id(s, world.tea.id, tea_event)
        assert (e.title, e.registration_open) == ("Tea tasting", True)
        assert [r.status for r, _m in registrations.of_event(s, e)] == ["registered"]
