"""REST API v1: keys, per-item validation, idempotency, isolation, paging, OpenAPI conformance."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from tenants.agency.models import ApiKey
from tenants.community.models import Activity, Member
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support import factories
from tests.support.api import auth, make_key


def item(ext="ann", source="s1", kind="message", when="2026-05-01T10:00:00Z", **extra):
    return {"member": {"channel": "telegram", "external_id": ext, "handle": f"@{ext}", "display_name": ext.title()},
            "type": kind, "occurred_at": when, "source_id": source, **extra}


@pytest.fixture
def env():
    a = factories.agency("Acme", "o@acme.test")
    b = factories.agency("Beta", "o@beta.test")
    o1, o2, ob = factories.org(a, "One"), factories.org(a, "Two"), factories.org(b, "Beta Org")
    return {"a": a, "b": b, "o1": o1, "o2": o2, "ob": ob,
            "k1": make_key(a, o1), "k2": make_key(a, o2), "kb": make_key(b, ob)}


def test_requests_without_a_valid_key_are_refused(client, env):
    assert client.get("/api/v1/members").status_code == 401
    assert client.get("/api/v1/members", headers=auth("cmk_deadbeef_nope")).status_code == 401
    bad = env["k1"][:-3] + "xyz"
    assert client.get("/api/v1/members", headers=auth(bad)).status_code == 401
    with system_scope() as s:
        s.execute(update(ApiKey).values(revoked_at=utcnow()))
    r = client.get("/api/v1/members", headers=auth(env["k1"]))
    assert r.status_code == 401 and r.json["error"] == "invalid or revoked API key"


def test_post_activities_stores_valid_items_and_reports_each_bad_one(client, env):
    body = {"activities": [item(), {"member": {"channel": "telegram"}}, item("bob", "s2", target={
        "channel": "telegram", "external_id": "ann"}, kind="reply"), item("eve", "s3", when="2026-05-01T10:00:00")]}
    r = client.post("/api/v1/activities", json=body, headers=auth(env["k1"]))
    assert r.status_code == 200
    assert r.json == {"accepted": 2, "duplicates": 0, "errors": [
        {"index": 1, "error": "member.external_id is required"},
        {"index": 3, "error": "occurred_at needs a time zone (e.g. 2026-05-01T10:00:00Z)"}]}
    again = client.post("/api/v1/activities", json=body, headers=auth(env["k1"]))
    assert (again.json["accepted"], again.json["duplicates"]) == (0, 2)
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Activity)) == 2
        assert s.scalar(select(func.count()).select_from(Member)) == 2


def test_bad_bodies_and_oversized_batches(client, env):
    h = auth(env["k1"])
    assert client.post("/api/v1/activities", data="nope", headers=h).status_code == 400
    assert client.post("/api/v1/activities", json={"items": []}, headers=h).status_code == 400
    r = client.post("/api/v1/activities", json={"activities": [item(source=str(i)) for i in range(5001)]}, headers=h)
    assert r.status_code == 413
    r = client.post("/api/v1/activities", json={"activities": [{"x": 1}]}, headers=h)
    assert r.status_code == 422 and r.json["accepted"] == 0


def test_keys_never_reach_another_organisation_or_agency(client, env):
    client.post("/api/v1/activities", json={"activities": [item("ann", "s1")]}, headers=auth(env["k1"]))
    ann = client.get("/api/v1/members", headers=auth(env["k1"])).json["members"][0]
    for other in ("k2", "kb"):
        listing = client.get("/api/v1/members", headers=auth(env[other]))
        assert listing.status_code == 200 and listing.json["members"] == []
        assert client.get(f"/api/v1/members/{ann['id']}", headers=auth(env[other])).status_code == 404
        found = client.get("/api/v1/members?channel=telegram&external_id=ann", headers=auth(env[other]))
        assert found.json["members"] == []
    # The same source_id in another organisation is a different activity, not a duplicate.
    r = client.post("/api/v1/activities", json={"activities": [item("ann", "s1")]}, headers=auth(env["kb"]))
    assert r.json["accepted"] == 1
    with system_scope() as s:
        orgs = dict(s.execute(select(Activity.org_id, func.count()).group_by(Activity.org_id)).all())
    assert orgs == {env["o1"].id: 1, env["ob"].id: 1}


def test_members_listing_filters_and_cursor_paging(client, env):
    h = auth(env["k1"])
    acts = [item(f"m{i:02d}", f"s{i}") for i in range(25)]
    acts.append(item("m00", "extra", kind="post"))
    client.post("/api/v1/activities", json={"activities": acts}, headers=h)
    factories.settle(env["a"], env["o1"])       # the scoring worker's turn: it keeps the members' counters
    seen, cursor = [], None
    while True:
        url = "/api/v1/members?limit=10" + (f"&cursor={cursor}" if cursor else "")
        r = client.get(url, headers=h).json
        seen += [m["display_name"] for m in r["members"]]
        cursor = r["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(f"M{i:02d}" for i in range(25))
    one = client.get("/api/v1/members?channel=telegram&external_id=m00", headers=h).json["members"]
    assert len(one) == 1 and one[0]["activity_count"] == 2
    assert one[0]["identities"] == [{"channel": "telegram", "external_id": "m00", "handle": "@m00"}]
    full = client.get(f"/api/v1/members/{one[0]['id']}", headers=h).json
    assert full == one[0]
    assert client.get("/api/v1/members?limit=0", headers=h).status_code == 400
    assert client.get("/api/v1/members?cursor=%%%", headers=h).status_code == 400
    assert client.get("/api/v1/members?external_id=x", headers=h).status_code == 400


def test_api_is_rate_limited_per_key(app, client, env, monkeypatch):
    monkeypatch.setattr(app.config["COMMUNA"], "api_rate_limit", "3 per minute")
    codes = [client.get("/api/v1/members", headers=auth(env["k1"])).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/api/v1/members", headers=auth(env["k2"])).status_code == 200   # another key's bucket


def test_key_last_used_time_is_recorded(client, env):
    client.get("/api/v1/members", headers=auth(env["k1"]))
    with system_scope() as s:
        used = {k.name: k.last_used_at for k in s.scalars(select(ApiKey).where(ApiKey.org_id == env["o1"].id))}
    assert all(used.values())


def test_member_objects_carry_scores_and_summary_is_per_organisation(client, env):
    """After the scoring job, members carry their scores; each key sees only its organisation's totals."""
    from datetime import UTC, datetime, timedelta

    from tenants import scoring
    now = datetime.now(UTC)
    items = [item("ann", f"s{i}", "review", (now - timedelta(days=i)).isoformat()) for i in range(3)]
    assert client.post("/api/v1/activities", json={"activities": items}, headers=auth(env["k1"])).status_code == 200
    with tenant_scope(env["a"].id, env["o1"].id), job_session() as s:
        while scoring.incremental(s, env["o1"].id).members:
            s.commit()
    member = client.get("/api/v1/members?channel=telegram&external_id=ann", headers=auth(env["k1"])).json["members"][0]
    assert member["stage"] == "participant" and member["engagement_score"] > 14 and member["at_risk"] is False
    assert 0 < member["loyalty_index"] < 50 and member["influence"] is None
    summary = client.get("/api/v1/metrics/summary", headers=auth(env["k1"])).json
    assert summary["members"] == 1 and summary["active_7d"] == 1 and summary["stages"]["participant"] == 1
    assert summary["computed_at"] is not None
    for key in ("k2", "kb"):        # the same agency's other organisation, and another agency
        other = client.get("/api/v1/metrics/summary", headers=auth(env[key])).json
        assert other["members"] == 0 and other["computed_at"] is None and other["stages"]["participant"] == 0


def test_api_answers_are_never_cached(client, env):
    """Member data and error answers alike: no shared or browser cache keeps an API answer."""
    for path, headers in (("/api/v1/members", auth(env["k1"])), ("/api/v1/members", {}),
                          ("/api/v1/metrics/summary", auth(env["k1"]))):
        assert client.get(path, headers=headers).headers["Cache-Control"] == "no-store", path


def test_wrong_secrets_for_a_known_prefix_cannot_lock_the_key_out(app, client, env, monkeypatch):
    """The prefix is shown on the integrations page and in the audit log: guesses with it count against the
    guesser's address, never against the key's own bucket."""
    monkeypatch.setattr(app.config["COMMUNA"], "api_rate_limit", "3 per minute")
    forged = env["k1"][:-4] + "zzzz"
    codes = [client.get("/api/v1/members", headers=auth(forged)).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    other_client = app.test_client()
    other_client.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert other_client.get("/api/v1/members", headers=auth(env["k1"])).status_code == 200
