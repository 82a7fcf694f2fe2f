"""Who may read and change segments: clients of the organisation read (list, page, members) and every change
answers 404 for them; another agency's owner, a manager of another organisation and a client of another
organisation get 404 on every segment route; a segment of another organisation is not found."""
from __future__ import annotations

import pytest

from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.segments import service
from tests.support.http import csrf_of, login

from .conftest import make

RULE = {"all": [{"field": "stage", "op": "in", "value": ["loyal", "advocate"]}]}


def _routes(sid: str, base: str = "/acme/coffee/segments") -> tuple[list[str], list[str]]:
    reads = [f"{base}/", f"{base}/{sid}"]
    writes = [f"{base}/new", f"{base}/{sid}/edit"]
    posts = [f"{base}/new", f"{base}/builder", f"{base}/preview", f"{base}/{sid}/edit", f"{base}/{sid}/bulk",
             f"{base}/{sid}/freeze", f"{base}/{sid}/delete"]
    return reads + writes, posts


def _sizes(w) -> list[tuple[str, int]]:
    with tenant_scope(w.agency.id, w.org.id), job_session() as s:
        return sorted((x.name, x.version) for x in service.of_org(s, w.org.id))


FORM = {"name": "x", "kind": "static", "action": "tag", "tag": "t", "scope": "all", "rules.all[0].field": "stage"}


def test_a_client_reads_segments_but_changes_nothing(client, world):
    sid = make(world, {"name": "Loyal", "kind": "dynamic", "rules": RULE})
    login(client, "c@acme.test")
    assert 'data-testid="nav-segments"' in client.get("/acme/coffee/").text
    listed = client.get("/acme/coffee/segments/")
    assert listed.status_code == 200 and "Loyal" in listed.text and "New segment" not in listed.text
    page = client.get(f"/acme/coffee/segments/{sid}")
    assert page.status_code == 200 and page.text.count('data-testid="segment-member"') == 2
    for marker in ('data-testid="edit"', 'data-testid="freeze"', 'data-testid="delete"', 'name="ids"',
                   "/members/"):
        assert marker not in page.text
    reads, posts = _routes(sid)
    for url in reads[2:]:
        assert client.get(url).status_code == 404, url
    token = csrf_of(client, "/account/")
    before = _sizes(world)
    for url in posts:
        assert client.post(url, data={**FORM, "csrf_token": token}).status_code == 404, url
        assert client.post(url, data=FORM, headers={"HX-Request": "true", "X-CSRFToken": token}).status_code == 404
    assert _sizes(world) == before


@pytest.mark.parametrize("email", ["o@beta.test", "m2@acme.test", "c2@acme.test"])
def test_outsiders_get_404_on_every_segment_route(client, world, email):
    sid = make(world, {"name": "Loyal", "kind": "dynamic", "rules": RULE})
    login(client, email)
    reads, posts = _routes(sid)
    for url in reads:
        assert client.get(url).status_code == 404, (email, url)
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 404, (email, url)
    token = csrf_of(client, "/account/")
    before = _sizes(world)
    for url in posts:
        assert client.post(url, data={**FORM, "csrf_token": token}).status_code == 404, (email, url)
    assert _sizes(world) == before


def test_a_segment_of_another_organisation_or_agency_is_not_found(client, world):
    from tests.support import factories
    tea = make(world, {"name": "Tea people", "kind": "dynamic", "rules": RULE}, org=world.other_org)
    beta = factories.agency("Gamma", "o@gamma.test")
    gamma_org = factories.org(beta, "Juice")
    with tenant_scope(beta.id, gamma_org.id), job_session() as s:
        from tenants.core.audit import Actor
        foreign = service.create(s, gamma_org.id, {"name": "Juice", "kind": "static"}, Actor(email="t")).public_id
        s.commit()
    login(client, "o@acme.test")
    token = csrf_of(client, "/account/")
    for sid in (tea, foreign):
        reads, posts = _routes(sid)
        for url in reads[1:]:
            if sid in url:
                assert client.get(url).status_code == 404, url
        for url in posts[3:]:
            assert client.post(url, data={**FORM, "csrf_token": token}).status_code == 404, url
        copy = client.get(f"/acme/coffee/segments/new?from={sid}")
        assert copy.status_code == 200 and "Tea people" not in copy.text and "Juice" not in copy.text
    # Named in a rule, another organisation's segment is not one of this organisation's.
    rule = {"all": [{"field": "segment", "op": "in", "value": [tea]}]}
    import json
    from urllib.parse import quote
    page = client.get("/acme/coffee/segments/new?rules=" + quote(json.dumps(rule)))
    assert "choose a segment of this organisation" in page.text
