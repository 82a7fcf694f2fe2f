"""The events API: an event created once per source_id, registrations and check-ins in batches (duplicates,
per-item errors, tickets, walk-ins), the head counts on a hand-made event, scopes, and other organisations'
keys seeing nothing."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tenants.community.models import Activity, Member
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.events import batches
from tenants.events.models import Event, Registration
from tests.support import factories
from tests.support.api import auth, make_key
from tests.support.events import people


def _tg(name: str, **extra) -> dict:
    return {"channel": "telegram", "external_id": name, **extra}


def _body(days: float = 3, **extra) -> dict:
    """An event `days` from now (negative: begun), two hours long."""
    start = (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0, tzinfo=None)
    return {"title": "Coffee cupping", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(), "timezone": "UTC", "format": "offline", **extra}


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    ids = people(a, o)
    b = factories.agency("Beta", "o@beta.test")
    return {"a": a, "o": o, "ids": ids, "key": auth(make_key(a, o)),
            "read": auth(make_key(a, o, ("members:read",))), "write_only": auth(make_key(a, o, ("events:write",))),
            "sibling": auth(make_key(a, factories.org(a, "Tea"))), "beta": auth(make_key(b, factories.org(b, "Beta")))}


def _activities(kind: str) -> int:
    with system_scope() as s:
        return s.scalar(select(func.count()).select_from(Activity).where(Activity.type == kind))


def test_an_event_is_created_once_per_source_id_and_answers_its_fields(client, world):
    body = _body(source_id="crm-7", capacity=2, location="Kazan", timezone="Europe/Moscow")
    r = client.post("/api/v1/events", json=body, headers=world["key"])
    assert r.status_code == 201, r.json
    event = r.json
    assert (event["title"], event["capacity"], event["location"], event["timezone"]) == \
        ("Coffee cupping", 2, "Kazan", "Europe/Moscow")
    assert event["starts_at"].endswith("Z") and event["registered"] == 0 and event["nps"] is None
    again = client.post("/api/v1/events", json=_body(source_id="crm-7", title="Another title"), headers=world["key"])
    assert again.status_code == 200 and again.json["id"] == event["id"] and again.json["title"] == "Coffee cupping"
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 1
    assert client.get(f"/api/v1/events/{event['id']}", headers=world["read"]).json == again.json
    listed = client.get("/api/v1/events?when=upcoming", headers=world["read"]).json
    assert [e["id"] for e in listed["events"]] == [event["id"]] and listed["next_cursor"] is None
    assert client.get("/api/v1/events?when=past", headers=world["read"]).json["events"] == []


def test_bad_event_bodies_answer_422_naming_the_field(client, world):
    for body, field in ((_body(timezone="Mars/Olympus"), "timezone"), (_body(format="party"), "format"),
                        (_body(title=""), "title"), (_body(capacity=0), "capacity"), (_body(url="ftp://x"), "url"),
                        (_body(ends_at="2001-01-01T00:00:00"), "ends_at"), (_body(colour="red"), "colour"),
                        (_body(starts_at="someday"), "starts_at"), (_body(title="a\x00b"), "title")):
        r = client.post("/api/v1/events", json=body, headers=world["key"])
        assert r.status_code == 422 and r.json["field"] == field, (body, r.status_code, r.json)
    assert client.post("/api/v1/events", json=[1], headers=world["key"]).status_code == 400
    event = client.post("/api/v1/events", json=_body(), headers=world["key"]).json
    for what in ("registrations", "checkins"):
        r = client.post(f"/api/v1/events/{event['id']}/{what}", headers=world["key"],
                        json={what: [{"member": _tg("ann")}] * (batches.MAX_ITEMS + 1)})
        assert r.status_code == 413 and r.json["limit"] == batches.MAX_ITEMS
        assert client.post(f"/api/v1/events/{event['id']}/{what}", json={"x": 1},
                           headers=world["key"]).status_code == 400
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 1
        assert s.scalar(select(func.count()).select_from(Registration)) == 0


def test_registrations_batch_counts_duplicates_and_keeps_the_good_items(client, world):
    event = client.post("/api/v1/events", json=_body(capacity=2), headers=world["key"]).json
    url = f"/api/v1/events/{event['id']}/registrations"
    items = [{"member": _tg("ann"), "source_id": "r-1"},
             {"member": _tg("bob"), "registered_at": "2026-01-01T10:00:00Z"},
             {"member": _tg("ann")},                                             # already registered: duplicate
             {"member": _tg("newbie", display_name="New Person", email="New@x.test")},   # past capacity: waitlisted
             {"member": _tg("cat"), "status": "cancelled"},
             {"member": {"channel": "telegram"}},
             {"member": _tg("dan"), "registered_at": "yesterday"},
             {"member": _tg("eve"), "colour": "red"},
             "nonsense"]
    r = client.post(url, json={"registrations": items}, headers=world["key"])
    assert r.status_code == 200, r.json
    assert (r.json["accepted"], r.json["duplicates"]) == (3, 1)
    assert [e["index"] for e in r.json["errors"]] == [4, 5, 6, 7, 8]
    assert "status must be one of: registered, waitlisted" in r.json["errors"][0]["error"]
    assert "member.external_id is required" in r.json["errors"][1]["error"]
    assert _activities("event_registration") == 3
    with system_scope() as s:
        newbie = s.scalar(select(Member).where(Member.email == "new@x.test"))
        assert newbie.display_name == "New Person"
        statuses = dict(s.execute(select(Registration.member_id, Registration.status)).all())
        assert statuses == {world["ids"]["ann"]: "registered", world["ids"]["bob"]: "registered",
                            newbie.id: "waitlisted"}
        assert s.scalar(select(Registration.source_id).where(Registration.member_id == world["ids"]["ann"])) == "r-1"
    # Sent again: nothing new; the same source_id for someone else is the same registration, a duplicate.
    again = client.post(url, json={"registrations": items[:4] + [{"member": _tg("dan"), "source_id": "r-1"}]},
                        headers=world["key"]).json
    assert (again["accepted"], again["duplicates"], again["errors"]) == (0, 5, [])
    refused = client.post(url, json={"registrations": [{"member": _tg("zed"), "status": "maybe"}]},
                          headers=world["key"])
    assert refused.status_code == 422 and refused.json["accepted"] == 0
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Member).where(Member.display_name == "zed")) == 0
    event = client.get(f"/api/v1/events/{event['id']}", headers=world["key"]).json
    assert (event["registered"], event["waitlisted"]) == (2, 1)


def test_checkins_by_member_and_ticket_with_walk_ins_and_duplicates(client, world):
    event = client.post("/api/v1/events", json=_body(days=-1 / 24), headers=world["key"]).json
    base = f"/api/v1/events/{event['id']}"
    client.post(f"{base}/registrations", json={"registrations": [{"member": _tg(n)} for n in ("ann", "bob", "cat")]},
                headers=world["key"])
    with system_scope() as s:
        bob_ticket = s.scalar(select(Registration.ticket).where(Registration.member_id == world["ids"]["bob"]))
    at = (datetime.now(UTC) - timedelta(minutes=30)).replace(microsecond=0)
    r = client.post(f"{base}/checkins", headers=world["key"], json={"at": at.isoformat(), "checkins": [
        {"member": _tg("ann")}, {"ticket": bob_ticket}, {"member": _tg("dan")},          # dan: a walk-in
        {"member": _tg("stranger", display_name="Stranger")},                           # new member, a walk-in
        {"member": _tg("ann")},                                                         # the same scan again
        {"ticket": "no-such-ticket-here"}, {"member": _tg("eve"), "ticket": bob_ticket}, {}]})
    assert r.status_code == 200, r.json
    assert (r.json["accepted"], r.json["walk_ins"], r.json["duplicates"]) == (4, 2, 1)
    assert [e["index"] for e in r.json["errors"]] == [5, 6, 7]
    assert "no registration at this event has this ticket" in r.json["errors"][0]["error"]
    assert _activities("event_attendance") == 4
    with system_scope() as s:
        ann = s.scalar(select(Registration).where(Registration.member_id == world["ids"]["ann"]))
        assert ann.checked_in_at == at and not ann.walk_in
    again = client.post(f"{base}/checkins", json={"checkins": [{"ticket": bob_ticket}, {"member": _tg("dan")}]},
                        headers=world["key"]).json
    assert (again["accepted"], again["walk_ins"], again["duplicates"]) == (0, 0, 2)
    assert client.post(f"{base}/checkins", json={"checkins": [], "at": "soon"}, headers=world["key"]).status_code == 422
    event = client.get(base, headers=world["key"]).json
    assert {k: event[k] for k in ("registered", "attended", "walk_ins", "no_shows", "no_show_rate")} == \
        {"registered": 3, "attended": 4, "walk_ins": 2, "no_shows": 1, "no_show_rate": pytest.approx(1 / 3)}


def test_head_counts_of_a_hand_made_event(client, world):
    """Registered excludes walk-ins and cancellations; attended includes walk-ins; NPS from survey answers."""
    event = client.post("/api/v1/events", json=_body(days=-1 / 24, capacity=3), headers=world["key"]).json
    base = f"/api/v1/events/{event['id']}"
    client.post(f"{base}/registrations", headers=world["key"], json={"registrations": [
        {"member": _tg(n)} for n in ("ann", "bob", "cat", "dan")]})               # dan waitlisted
    client.post(f"{base}/checkins", headers=world["key"], json={"checkins": [
        {"member": _tg("ann")}, {"member": _tg("bob")}, {"member": _tg("eve")}]})    # eve walks in
    a, o, ids = world["a"], world["o"], world["ids"]
    with tenant_scope(a.id, o.id), job_session() as s:
        regs = {r.member_id: r for r in s.scalars(select(Registration))}
        for name, score in (("ann", 10), ("bob", 3), ("eve", 9)):
            regs[ids[name]].survey_sent_at = datetime.now(UTC)
            regs[ids[name]].survey_score = score
        regs[ids["cat"]].survey_sent_at = datetime.now(UTC)
        s.commit()
    got = client.get(base, headers=world["read"]).json
    assert {k: got[k] for k in ("registered", "waitlisted", "cancelled", "attended", "walk_ins", "no_shows",
                                 "survey_sent", "survey_responses", "nps")} == \
        {"registered": 3, "waitlisted": 1, "cancelled": 0, "attended": 3, "walk_ins": 1, "no_shows": 1,
         "survey_sent": 4, "survey_responses": 3, "nps": round(100 * (2 - 1) / 3)}
    assert got["no_show_rate"] == pytest.approx(1 / 3) and got["response_rate"] == pytest.approx(3 / 4)


def test_scopes_decide_who_reads_and_writes(client, world):
    event = client.post("/api/v1/events", json=_body(), headers=world["key"]).json
    base = f"/api/v1/events/{event['id']}"
    assert client.get("/api/v1/events").status_code == 401
    assert client.get("/api/v1/events", headers=auth("cmk_abcdefgh_nope")).status_code == 401
    for method, url, body in (("post", "/api/v1/events", _body()), ("post", f"{base}/registrations",
                              {"registrations": []}), ("post", f"{base}/checkins", {"checkins": []})):
        r = getattr(client, method)(url, json=body, headers=world["read"])
        assert r.status_code == 403 and r.json["error"], url
    for url in ("/api/v1/events", base):
        assert client.get(url, headers=world["write_only"]).status_code == 403
    assert client.post(f"{base}/checkins", json={"checkins": []}, headers=world["write_only"]).status_code == 200


def test_another_organisations_or_agencys_key_sees_404_for_every_event_endpoint(client, world):
    event = client.post("/api/v1/events", json=_body(source_id="x"), headers=world["key"]).json
    base = f"/api/v1/events/{event['id']}"
    for key in ("sibling", "beta"):
        h = world[key]
        assert client.get(base, headers=h).status_code == 404
        assert client.post(f"{base}/registrations", json={"registrations": [{"member": _tg("ann")}]},
                           headers=h).status_code == 404
        assert client.post(f"{base}/checkins", json={"checkins": [{"member": _tg("ann")}]},
                           headers=h).status_code == 404
        assert client.get("/api/v1/events", headers=h).json["events"] == []
        # The same source_id in another organisation is another event.
        other = client.post("/api/v1/events", json=_body(source_id="x"), headers=h)
        assert other.status_code == 201 and other.json["id"] != event["id"]
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Registration)) == 0


def test_the_list_pages_with_a_cursor(client, world):
    made = [client.post("/api/v1/events", json=_body(title=f"E{i}", source_id=f"e{i}"), headers=world["key"]).json["id"]
            for i in range(5)]
    seen, cursor = [], None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/api/v1/events?{query}", headers=world["read"]).json
        seen += [e["id"] for e in page["events"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made) and len(seen) == 5
    assert client.get("/api/v1/events?cursor=garbage", headers=world["read"]).status_code == 400
    assert client.get("/api/v1/events?when=soon", headers=world["read"]).status_code == 400
