"""Who reaches the check-in: staff who work in the organisation. Clients, other agencies, an event, a member or a
registration of another organisation, and a signed-out visitor get nowhere, and nothing changes."""
from __future__ import annotations

from sqlalchemy import func, select

from tenants.community.models import Member
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.events import events
from tenants.events import registrations as regs
from tenants.events.models import Registration
from tests.support import factories
from tests.support.events import ACTOR, event, people
from tests.support.http import login, post


def _world():
    a = factories.agency("Acme", "o@acme.test")
    coffee, tea = factories.org(a, "Coffee"), factories.org(a, "Tea")
    ids = people(a, coffee)
    tea_ids = people(a, tea, ("tom",))
    pid = event(a, coffee)
    tea_pid = event(a, tea, title="Tea tasting")
    with tenant_scope(a.id, coffee.id), job_session() as s:
        ticket = regs.register(s, events.by_public_id(s, coffee.id, pid), ids["ann"], "form", ACTOR)[0].ticket
        ann = s.get(Member, ids["ann"]).public_id
        s.commit()
    with tenant_scope(a.id, tea.id), job_session() as s:
        reg = regs.register(s, events.by_public_id(s, tea.id, tea_pid), tea_ids["tom"], "form", ACTOR)[0]
        regs.check_in(s, events.by_public_id(s, tea.id, tea_pid), tea_ids["tom"], ACTOR)
        tea_ticket, tea_reg, tom = reg.ticket, reg.public_id, s.get(Member, tea_ids["tom"]).public_id
        s.commit()
    factories.person(a, "m@acme.test", "manager", [coffee.id])
    factories.person(a, "c@acme.test", "client", [coffee.id])
    g = factories.agency("Globex", "g@globex.test")
    factories.org(g, "Coffee")
    return {"a": a, "pid": pid, "tea_pid": tea_pid, "ticket": ticket, "ann": ann, "tea_ticket": tea_ticket,
            "tea_reg": tea_reg, "tom": tom}


def _checked_in() -> int:
    with system_scope() as s:
        return s.scalar(select(func.count()).select_from(Registration).where(Registration.checked_in_at.is_not(None)))


def _routes(pid: str, w: dict) -> list[tuple[str, str, dict]]:
    base = f"/acme/coffee/events/{pid}/checkin/"
    return [("GET", base, {}), ("GET", base + "counts", {}), ("GET", base + "arrived", {}),
            ("GET", base + "?q=ann", {}), ("POST", base + "ticket", {"ticket": w["ticket"]}),
            ("POST", base + f"members/{w['ann']}", {}), ("POST", base + "walk-in", {"name": "Zed"}),
            ("POST", base + f"undo/{w['tea_reg']}", {})]


def _status(client, method: str, url: str, data: dict, htmx: bool = False) -> int:
    if method == "GET":
        return client.get(url, headers={"HX-Request": "true"} if htmx else {}).status_code
    return post(client, url, data, htmx=htmx).status_code


def test_a_client_of_the_organisation_gets_404_everywhere(client):
    w = _world()
    login(client, "c@acme.test")
    assert client.get("/acme/coffee/").status_code == 200          # the client does see the organisation
    for method, url, data in _routes(w["pid"], w):
        assert _status(client, method, url, data) == 404, url
        assert _status(client, method, url, data, htmx=True) == 404, url
    assert _checked_in() == 1


def test_another_agency_gets_404_and_a_signed_out_visitor_is_sent_to_sign_in(client, other_client):
    w = _world()
    login(client, "g@globex.test")
    for method, url, data in _routes(w["pid"], w):
        assert _status(client, method, url, data) == 404, url
        assert _status(client, method, url.replace("/acme/", "/globex/"), data) == 404, url
    r = other_client.get(f"/acme/coffee/events/{w['pid']}/checkin/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert _checked_in() == 1


def test_an_event_member_or_registration_of_another_organisation_is_not_found(client):
    w = _world()
    login(client, "m@acme.test")
    assert client.get(f"/acme/coffee/events/{w['pid']}/checkin/").status_code == 200
    for method, url, data in _routes(w["tea_pid"], w):          # the Tea event under Coffee's address
        assert _status(client, method, url, data) == 404, url
    assert client.get(f"/acme/tea/events/{w['tea_pid']}/checkin/").status_code == 404      # not the manager's org
    base = f"/acme/coffee/events/{w['pid']}/checkin/"
    assert post(client, base + f"members/{w['tom']}", htmx=True).status_code == 404
    assert post(client, base + f"undo/{w['tea_reg']}", htmx=True).status_code == 404
    r = post(client, base + "ticket", {"ticket": w["tea_ticket"]}, htmx=True)
    assert r.status_code == 422 and "Unknown ticket" in r.get_data(as_text=True)       # nothing said about Tea
    assert "Tom" not in client.get(base + "?q=tom").get_data(as_text=True)
    assert client.get(f"/acme/coffee/events/{'x' * 40}/checkin/").status_code == 404
    assert _checked_in() == 1
