"""Segments over the API: the segment object, preview = members list = size, versions, static members,
refusals with paths, and isolation between organisations and agencies."""
from __future__ import annotations

import pytest

from tenants.agency import apikeys
from tests.support import factories
from tests.support.api import auth, make_key


def item(ext, source, channel="telegram", kind="message"):
    return {"member": {"channel": channel, "external_id": ext, "display_name": ext.title()}, "type": kind,
            "occurred_at": "2026-11-20T10:00:00Z", "source_id": source}


@pytest.fixture
def env(client):
    a = factories.agency("Acme", "o@acme.test")
    b = factories.agency("Beta", "o@beta.test")
    o1, o2, ob = factories.org(a, "One"), factories.org(a, "Two"), factories.org(b, "Beta Org")
    keys = {"k1": make_key(a, o1), "k2": make_key(a, o2), "kb": make_key(b, ob),
            "read": make_key(a, o1, ("members:read",))}
    items = [item(f"t{i}", f"t{i}") for i in range(5)] + [item(f"v{i}", f"v{i}", "vk") for i in range(3)]
    for key in ("k1", "k2", "kb"):
        assert client.post("/api/v1/activities", json={"activities": items}, headers=auth(keys[key])).status_code == 200
    return keys


VK = {"all": [{"field": "channel", "op": "eq", "value": "vk"}]}


def test_create_read_preview_and_members_agree(client, env):
    h = auth(env["k1"])
    assert client.post("/api/v1/segments/preview", json={"rules": VK}, headers=h).json == {"size": 3}
    r = client.post("/api/v1/segments", json={"name": "VK people", "rules": VK, "colour": "#123456"}, headers=h)
    assert r.status_code == 201
    seg = r.json
    assert {k: seg[k] for k in ("name", "kind", "rules", "size", "version")} == \
        {"name": "VK people", "kind": "dynamic", "rules": VK, "size": 3, "version": 1}
    assert client.get(f"/api/v1/segments/{seg['id']}", headers=h).json["size"] == 3
    listed = client.get("/api/v1/segments", headers=h).json["segments"]
    assert seg["id"] in [s["id"] for s in listed]
    names, cursor = [], None
    while True:
        page = client.get(f"/api/v1/segments/{seg['id']}/members?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                          headers=h).json
        names += [m["display_name"] for m in page["members"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert names == ["V0", "V1", "V2"]
    r = client.patch(f"/api/v1/segments/{seg['id']}", json={"rules": {"any": [
        {"field": "channel", "op": "eq", "value": "vk"}, {"field": "search", "op": "contains", "value": "t1"}]}},
        headers=h)
    assert r.status_code == 200 and r.json["version"] == 2 and r.json["size"] == 4
    assert client.patch(f"/api/v1/segments/{seg['id']}", json={"name": "Renamed"}, headers=h).json["version"] == 2


def test_bad_rules_answer_422_with_the_path(client, env):
    h = auth(env["k1"])
    bad = {"all": [{"field": "channel", "op": "eq", "value": "vk"}, {"field": "stage", "op": "gt", "value": "x"}]}
    r = client.post("/api/v1/segments", json={"name": "Bad", "rules": bad}, headers=h)
    assert r.status_code == 422 and r.json["path"] == "rules.all[1].op"
    r = client.post("/api/v1/segments/preview", json={"rules": {"field": "nope", "op": "eq", "value": 1}}, headers=h)
    assert r.status_code == 422 and r.json["path"] == "rules.field"
    assert client.post("/api/v1/segments", json={"rules": VK}, headers=h).json["path"] == "name"
    assert client.post("/api/v1/segments", data="[]", content_type="application/json", headers=h).status_code == 400
    assert "Bad" not in [seg["name"] for seg in client.get("/api/v1/segments", headers=h).json["segments"]]


def test_static_segment_members_and_delete_refused_while_used(client, env):
    h = auth(env["k1"])
    static = client.post("/api/v1/segments", json={"name": "Hand-picked", "kind": "static"}, headers=h).json
    ids = [m["id"] for m in client.get("/api/v1/members?limit=3", headers=h).json["members"]]
    url = f"/api/v1/segments/{static['id']}/members"
    assert client.post(url, json={"member_ids": ids}, headers=h).json == {"added": 3, "size": 3}
    assert client.post(url, json={"member_ids": ids[:1]}, headers=h).json == {"added": 0, "size": 3}
    assert client.delete(url, json={"member_ids": ids[:1]}, headers=h).json == {"removed": 1, "size": 2}
    r = client.post(url, json={"member_ids": ["nosuchmember"]}, headers=h)
    assert r.status_code == 422 and r.json["member_ids"] == ["nosuchmember"]
    user = client.post("/api/v1/segments", json={"name": "Uses it", "rules": {
        "field": "segment", "op": "in", "value": [static["id"]]}}, headers=h).json
    assert user["size"] == 2
    r = client.delete(f"/api/v1/segments/{static['id']}", headers=h)
    assert r.status_code == 409 and "Uses it" in r.json["error"]
    assert client.delete(f"/api/v1/segments/{user['id']}", headers=h).status_code == 204
    assert client.delete(f"/api/v1/segments/{static['id']}", headers=h).status_code == 204
    dynamic = client.post("/api/v1/segments", json={"name": "D", "rules": VK}, headers=h).json
    r = client.post(f"/api/v1/segments/{dynamic['id']}/members", json={"member_ids": ids}, headers=h)
    assert r.status_code == 422 and r.json["path"] == "member_ids"


def test_keys_of_other_organisations_and_agencies_see_nothing(client, env):
    seg = client.post("/api/v1/segments", json={"name": "Mine", "rules": VK}, headers=auth(env["k1"])).json
    member = client.get("/api/v1/members?limit=1", headers=auth(env["k1"])).json["members"][0]["id"]
    for other in ("k2", "kb"):
        h = auth(env[other])
        for method, url in (("get", ""), ("get", "/members"), ("patch", ""), ("delete", ""), ("post", "/members")):
            r = getattr(client, method)(f"/api/v1/segments/{seg['id']}{url}", json={"name": "x", "member_ids": []},
                                        headers=h)
            assert r.status_code == 404, (other, method, url)
        assert "Bad" not in [seg["name"] for seg in client.get("/api/v1/segments", headers=h).json["segments"]]
        static = client.post("/api/v1/segments", json={"name": "S", "kind": "static"}, headers=h).json
        r = client.post(f"/api/v1/segments/{static['id']}/members", json={"member_ids": [member]}, headers=h)
        assert r.status_code == 422
        r = client.post("/api/v1/segments/preview", json={"rules": {"field": "segment", "op": "in",
                                                                    "value": [seg["id"]]}}, headers=h)
        assert r.status_code == 422 and r.json["path"] == "rules.value[0]"


def test_changes_need_the_write_scope(client, env):
    assert "segments:write" in apikeys.SCOPES
    h = auth(env["read"])
    assert client.post("/api/v1/segments", json={"name": "x", "rules": VK}, headers=h).status_code == 403
    assert client.get("/api/v1/segments", headers=h).status_code == 200
    assert client.post("/api/v1/segments/preview", json={"rules": VK}, headers=h).json == {"size": 3}
