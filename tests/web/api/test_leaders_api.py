"""The leaders API: list, add, change status, candidates; the key's organisation only."""
from __future__ import annotations

from sqlalchemy import select

from tenants.community.models import Member
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.leaders import candidates
from tenants.leaders.models import Leader, LeaderStatusChange
from tests.support import factories
from tests.support import leaders as graph
from tests.support.api import auth, make_key


def _world():
    w = graph.build()
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        candidates.compute(s, w.o.id, w.now)
        pids = {name: s.get(Member, mid).public_id for name, mid in w.ids.items()}
    other_org = factories.org(w.a, "Tea")
    b = factories.agency("Beta", "o@beta.test")
    return w, pids, {"key": make_key(w.a, w.o), "sibling": make_key(w.a, other_org),
                     "beta": make_key(b, factories.org(b, "Beta Org")),
                     "read": make_key(w.a, w.o, ("members:read",))}


def test_add_list_and_change_a_leader(client):
    w, pids, keys = _world()
    h = auth(keys["key"])
    r = client.post("/api/v1/leaders", json={"member_id": pids["star"], "status": "invited", "internal": False,
                                              "topics": ["coffee", " Coffee ", "latte art"], "channels": ["telegram"]},
                    headers=h)
    assert r.status_code == 201, r.json
    leader = r.json
    assert leader["member"]["id"] == pids["star"] and leader["member"]["kind"] == "person"
    assert (leader["status"], leader["topics"], leader["since"]) == ("invited", ["coffee", "latte art"], None)
    assert client.post("/api/v1/leaders", json={"member_id": pids["star"], "status": "active"},
                       headers=h).status_code == 409
    r = client.patch(f"/api/v1/leaders/{leader['id']}", json={"status": "active", "note": "said yes"}, headers=h)
    assert r.status_code == 200 and r.json["status"] == "active" and r.json["since"]
    listed = client.get("/api/v1/leaders", headers=h).json["leaders"]
    assert [(x["id"], x["status"]) for x in listed] == [(leader["id"], "active")]
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        assert [c.note for c in s.scalars(select(LeaderStatusChange).order_by(LeaderStatusChange.id))] == \
            ["", "said yes"]


def test_bad_bodies_answer_json_errors(client):
    _w, pids, keys = _world()
    h = auth(keys["key"])
    for body, status in (([], 400), ({"status": "active"}, 422), ({"member_id": "nobody", "status": "active"}, 422),
                         ({"member_id": pids["star"], "status": "famous"}, 422),
                         ({"member_id": pids["star"], "status": "active", "internal": "yes"}, 422),
                         ({"member_id": pids["star"], "status": "active", "topics": "coffee"}, 422),
                         ({"member_id": pids["star"], "status": "active", "topics": ["x" * 65]}, 422),
                         ({"member_id": pids["star"], "status": "active", "channels": ["fax"]}, 422),
                         ({"member_id": pids["star"], "status": "active", "note": "a\x00b"}, 422),
                         ({"member_id": "a\x00b", "status": "active"}, 422),
                         ({"member_id": pids["star"], "status": "active", "colour": "red"}, 422)):
        r = client.post("/api/v1/leaders", json=body, headers=h)
        assert r.status_code == status and isinstance(r.json["error"], str), (body, r.status_code, r.json)
    assert client.patch("/api/v1/leaders/nope", json={"status": "active"}, headers=h).status_code == 404
    assert client.post("/api/v1/leaders", json={"member_id": pids["star"], "status": "active"},
                       headers=auth(keys["read"])).status_code == 403


def test_candidates_with_reasons(client):
    _w, pids, keys = _world()
    found = client.get("/api/v1/leaders/candidates", headers=auth(keys["key"])).json["candidates"]
    assert [c["member"]["id"] for c in found] == [pids[n] for n in ("star", "second", "kept", "gone")]
    assert found[0]["reasons"] == ["answered by 41 members in 90 days", "top 1% influence", "reached 3 members",
                                   "12 posts", "active"]
    assert found[0]["influence"] == 100 and found[0]["reach"] == 0


def test_another_organisations_or_agencys_key_sees_and_reaches_nothing(client):
    w, pids, keys = _world()
    leader = client.post("/api/v1/leaders", json={"member_id": pids["star"], "status": "active"},
                         headers=auth(keys["key"])).json
    for name in ("sibling", "beta"):
        h = auth(keys[name])
        assert client.get("/api/v1/leaders", headers=h).json == {"leaders": []}
        assert client.get("/api/v1/leaders/candidates", headers=h).json == {"candidates": []}
        r = client.patch(f"/api/v1/leaders/{leader['id']}", json={"status": "alumni"}, headers=h)
        assert r.status_code == 404 and r.json == {"error": "not found"}
        r = client.post("/api/v1/leaders", json={"member_id": pids["second"], "status": "active"}, headers=h)
        assert r.status_code == 422
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        assert s.scalars(select(Leader.status)).all() == ["active"]
