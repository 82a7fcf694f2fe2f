"""The influence network page and its JSON: what the owner sees, and the walls (another agency's owner, an
unassigned manager, a client: 404; never another organisation's members)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tenants.community.models import Activity, Member
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tests.support import factories
from tests.support.http import login

PAGE, DATA = "/acme/coffee/leaders/network", "/acme/coffee/leaders/network.json"


@pytest.fixture
def world(client):
    a = factories.agency("Acme", "o@acme.test")
    o, tea = factories.org(a, "Coffee"), factories.org(a, "Tea")
    with tenant_scope(a.id), job_session() as s:
        people = {}
        for org, name, influence, stage in ((o, "Ann", 90.0, "advocate"), (o, "Bob", 60.0, "active"),
                                            (tea, "Tea Star", 99.0, "loyal")):
            m = Member(org_id=org.id, display_name=name, sort_name=name.lower(), influence=influence,
                       influence_raw=influence, stage=stage)
            s.add(m)
            s.flush()
            people[name] = m
        for n in range(4):
            s.add(Activity(org_id=o.id, member_id=people["Bob"].id, target_member_id=people["Ann"].id, type="reply",
                           channel="telegram", occurred_at=utcnow() - timedelta(days=n), source_id=f"r{n}"))
        s.add(Activity(org_id=tea.id, member_id=people["Tea Star"].id, target_member_id=people["Tea Star"].id,
                       type="reply", channel="vk", occurred_at=utcnow(), source_id="t"))
        ids = {k: v.public_id for k, v in people.items()}
        s.commit()
    return a, o, tea, ids


def test_the_owner_sees_the_page_and_the_graph(client, world):
    a, o, tea, ids = world
    login(client, "o@acme.test")
    page = client.get(PAGE)
    assert page.status_code == 200 and "data-network=" in page.text and "vendor/cytoscape.min.js" in page.text
    data = client.get(DATA).json
    assert [(n["id"], n["label"], n["stage"], n["influence"], n["leader"]) for n in data["nodes"]] == \
        [(ids["Ann"], "Ann", "advocate", 90.0, False), (ids["Bob"], "Bob", "active", 60.0, False)]
    assert data["nodes"][0]["url"] == f"/acme/coffee/members/{ids['Ann']}"
    assert data["edges"] == [{"source": ids["Bob"], "target": ids["Ann"], "weight": 4}]
    assert data["text"]["summary"] == "2 members · 1 connection"
    assert ids["Tea Star"] not in client.get(DATA).text


def test_russian(client, world):
    login(client, "o@acme.test")
    r = client.get(DATA, headers={"Accept-Language": "ru"})
    assert "участник" in r.json["text"]["summary"]


@pytest.mark.parametrize("who", ["rival owner", "unassigned manager", "client of the organisation",
                                 "manager of another organisation"])
def test_outsiders_get_404(client, world, who):
    a, o, tea, ids = world
    if who == "rival owner":
        factories.agency("Rival", "r@rival.test")
        login(client, "r@rival.test")
    elif who == "unassigned manager":
        factories.person(a, "m@acme.test", "manager", [])
        login(client, "m@acme.test")
    elif who == "client of the organisation":
        factories.person(a, "c@acme.test", "client", [o.id])
        login(client, "c@acme.test")
    else:
        factories.person(a, "t@acme.test", "manager", [tea.id])
        login(client, "t@acme.test")
    assert client.get(PAGE).status_code == 404
    r = client.get(DATA)
    assert r.status_code == 404 and ids["Ann"] not in r.text
