"""The duplicates page: count, pages, channels, bulk merge (undoable) and bulk dismiss (remembered), and the
walls: another agency, an unassigned manager, another organisation's member ids in the form."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tenants.community.models import Identity, Member, MergeDismissal
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support import factories
from tests.support.http import login, post

URL = "/acme/coffee/members/duplicates"


def add(s, org, name, phone=None, email=None, channel="telegram", activity=0) -> str:
    m = Member(org_id=org.id, display_name=name, sort_name=name.lower(), phone=phone, email=email,
               activity_count=activity)
    s.add(m)
    s.flush()
    s.add(Identity(org_id=org.id, member_id=m.id, channel=channel, external_id=f"x{m.id}", handle=f"@h{m.id}"))
    return m.public_id


@pytest.fixture
def world(client):
    a = factories.agency("Acme", "o@acme.test")
    o, tea = factories.org(a, "Coffee"), factories.org(a, "Tea")
    with tenant_scope(a.id), job_session() as s:
        pairs = [(add(s, o, f"Big {n}", phone=f"+7{n:03d}", activity=5),
                  add(s, o, f"Small {n}", phone=f"+7{n:03d}", channel="vk")) for n in range(23)]
        trio = [add(s, o, f"Mail {n}", email="mail@x.test", channel=c)
                for n, c in enumerate(("email", "vk", "offline"))]
        stranger = add(s, tea, "Tea Person", phone="+7000")
        s.commit()
    login(client, "o@acme.test")
    return a, o, pairs, trio, stranger


def state(public_id):
    with system_scope() as s:
        return s.scalar(select(Member.merged_into_id).where(Member.public_id == public_id))


def test_count_pages_and_channels(client, world):
    r = client.get(URL)
    assert r.status_code == 200
    assert "24 possible duplicates" in r.text and r.text.count('data-testid="suggestion"') == 20
    assert "Page 1 of 2" in r.text and ">VK" in r.text and "@h" in r.text
    nxt = client.get(URL + "?page=2", headers={"HX-Request": "true", "HX-Target": "suggestions"})
    assert nxt.text.lstrip().startswith('<section id="suggestions"') and "<html" not in nxt.text
    assert nxt.text.count('data-testid="suggestion"') == 4 and "Page 2 of 2" in nxt.text
    assert client.get(URL + "?page=x").status_code == 400


def test_bulk_merge_then_undo(client, world):
    a, o, pairs, trio, _ = world
    r = post(client, URL + "/bulk", {"action": "merge", "group": [" ".join(trio), " ".join(pairs[0][::-1])],
                                     "page": "1"}, htmx=True)
    assert r.status_code == 200 and "2 groups merged" in r.text
    assert "22 possible duplicates" in r.text
    assert state(pairs[0][1]) is not None and state(pairs[0][0]) is None      # the busier member is kept
    assert state(trio[1]) is not None and state(trio[2]) is not None
    survivor = pairs[0][0]
    assert f"/members/{survivor}" in r.text                                    # where the undo is
    profile = client.get(f"/acme/coffee/members/{survivor}").text
    merge_id = re.search(r"/merges/([^/]+)/undo", profile).group(1)
    post(client, f"/acme/coffee/members/merges/{merge_id}/undo", htmx=True)
    assert state(pairs[0][1]) is None
    assert "23 possible duplicates" in client.get(URL).text


def test_bulk_dismiss_is_remembered_for_every_pair(client, world):
    a, o, pairs, trio, _ = world
    r = post(client, URL + "/bulk", {"action": "dismiss", "group": [" ".join(trio)]}, htmx=True)
    assert "1 group dismissed" in r.text and "23 possible duplicates" in r.text
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(MergeDismissal)) == 3
    assert "23 possible duplicates" in client.get(URL).text
    assert state(trio[0]) is None                                               # nothing merged


def test_one_group_by_its_own_button(client, world):
    a, o, pairs, trio, _ = world
    r = post(client, URL + "/bulk", {"merge_one": " ".join(pairs[5]), "group": [" ".join(trio)]}, htmx=True)
    assert "1 group merged" in r.text and state(pairs[5][1]) is not None and state(trio[1]) is None


def test_bad_bulk_requests_answer_422(client, world):
    a, o, pairs, trio, _ = world
    assert post(client, URL + "/bulk", {"action": "merge"}, htmx=True).status_code == 422
    r = post(client, URL + "/bulk", {"action": "explode", "group": [" ".join(trio)]}, htmx=True)
    assert r.status_code == 422 and "Choose an action" in r.text and state(trio[1]) is None
    many = post(client, URL + "/bulk", {"action": "dismiss", "group": [" ".join(p) for p in pairs] * 5}, htmx=True)
    assert many.status_code == 422


def test_another_organisations_members_are_ignored(client, world):
    a, o, pairs, trio, stranger = world
    r = post(client, URL + "/bulk", {"action": "merge", "group": [f"{pairs[0][0]} {stranger}"]}, htmx=True)
    assert r.status_code == 422 and state(stranger) is None and state(pairs[0][0]) is None
    r = post(client, URL + "/bulk", {"action": "merge", "group": [f"{stranger} {pairs[1][1]} {pairs[1][0]}"]},
             htmx=True)
    assert r.status_code == 200 and state(stranger) is None and state(pairs[1][1]) is not None


@pytest.mark.parametrize("who", ["other agency owner", "unassigned manager"])
def test_outsiders_get_404(other_client, world, who):
    a, o, pairs, trio, _ = world
    if who == "other agency owner":
        factories.agency("Rival", "r@rival.test")
        login(other_client, "r@rival.test")
    else:
        factories.person(a, "m@acme.test", "manager", [])
        login(other_client, "m@acme.test")
    assert other_client.get(URL).status_code == 404
    r = post(other_client, URL + "/bulk", {"action": "merge", "group": [" ".join(trio)]}, htmx=True)
    assert r.status_code == 404 and state(trio[1]) is None
