"""The door check-in: by ticket (the token or a ticket link), by member, walk-ins (a member and a new person),
a double scan counted once, undo (the attendance activity goes, the audit log says so), unknown and foreign
tickets, the guest search order, CSRF, Russian."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tenants.community.models import Activity, Identity, Member
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.core.models import AuditLog
from tenants.events import counts, events
from tenants.events import registrations as regs
from tenants.events.models import Registration
from tests.support import factories
from tests.support.events import ACTOR, event, people
from tests.support.http import csrf_of, login, post


@dataclass
class Door:
    a: object
    o: object
    ids: dict
    pid: str
    url: str
    tickets: dict


@pytest.fixture
def door(client) -> Door:
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    ids = people(a, o)
    start = (utcnow() - timedelta(hours=1)).replace(tzinfo=None, microsecond=0)       # the door is open
    pid = event(a, o, title="Espresso night", timezone="UTC", starts_at=start.isoformat(),
                ends_at=(start + timedelta(hours=3)).isoformat())
    tickets = {}
    with tenant_scope(a.id, o.id), job_session() as s:
        e = events.by_public_id(s, o.id, pid)
        for name in ("ann", "bob", "dan"):
            tickets[name] = regs.register(s, e, ids[name], "form", ACTOR)[0].ticket
        s.get(Member, ids["ann"]).email = "ann@example.test"
        s.commit()
    factories.person(a, "m@acme.test", "manager", [o.id])
    login(client, "m@acme.test")
    return Door(a, o, ids, pid, f"/acme/coffee/events/{pid}/checkin/", tickets)


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True)).strip()


def _triggered(response) -> bool:
    return "checkin-changed" in json.loads(response.headers.get("HX-Trigger") or "{}")


def _state(d: Door):
    """(counts, attendance activities per member id, registrations by member id)."""
    with tenant_scope(d.a.id, d.o.id), job_session() as s:
        e = events.by_public_id(s, d.o.id, d.pid)
        attendance = dict(s.execute(select(Activity.member_id, func.count()).where(
            Activity.type == "event_attendance").group_by(Activity.member_id)).all())
        rows = {r.member_id: (r.status, r.walk_in, r.checked_in_at is not None)
                for r in s.scalars(select(Registration).where(Registration.event_id == e.id))}
        return counts.of_event(s, e.id), attendance, rows


def test_the_page_shows_the_event_counts_and_the_guests_still_expected(client, door):
    page = _text(client.get(door.url))
    assert "Espresso night" in page and 'data-testid="count-registered">3<' in page
    assert "3 guests still expected" in page and page.count('data-testid="guest"') == 3
    assert "vendor/zxing-browser.min.js" in page and "checkin.js" in page
    fragment = _text(client.get(door.url + "counts"))
    assert fragment.startswith('<section id="counts"') and 'data-testid="count-arrived">0<' in fragment


def test_check_in_by_ticket_and_by_a_ticket_link(client, door):
    r = post(client, door.url + "ticket", {"ticket": door.tickets["ann"]}, htmx=True)
    assert r.status_code == 200 and _triggered(r)
    assert "Checked in" in _text(r) and "Ann" in _text(r) and 'data-testid="outcome-undo"' in _text(r)
    link = f"https://communa.example/t/{door.tickets['bob']}?utm=mail"
    r = post(client, door.url + "ticket", {"ticket": f"  {link}  "}, htmx=True)
    assert r.status_code == 200 and "Bob" in _text(r)
    c, attendance, rows = _state(door)
    assert (c.attended, c.walk_ins, c.registered) == (2, 0, 3)
    assert attendance == {door.ids["ann"]: 1, door.ids["bob"]: 1}
    assert rows[door.ids["ann"]] == ("registered", False, True)
    assert 'data-testid="count-arrived">2<' in _text(client.get(door.url + "counts"))
    arrived = _text(client.get(door.url + "arrived"))
    assert arrived.index("Bob") < arrived.index("Ann")         # newest first


def test_a_second_scan_says_already_and_counts_once(client, door):
    post(client, door.url + "ticket", {"ticket": door.tickets["ann"]}, htmx=True)
    r = post(client, door.url + "ticket", {"ticket": door.tickets["ann"]}, htmx=True)
    assert r.status_code == 200 and not _triggered(r)
    assert re.search(r"Already checked in at \d{1,2}:\d\d", _text(r)) and "counted once" in _text(r)
    r = post(client, door.url + f"members/{_public(door, 'ann')}", htmx=True)      # found by search as well
    assert "Already checked in" in _text(r)
    c, attendance, _rows = _state(door)
    assert c.attended == 1 and attendance == {door.ids["ann"]: 1}


def _public(d: Door, name: str) -> str:
    with tenant_scope(d.a.id, d.o.id), job_session() as s:
        return s.get(Member, d.ids[name]).public_id


def test_check_in_by_member_and_a_member_who_did_not_register_is_a_walk_in(client, door):
    r = post(client, door.url + f"members/{_public(door, 'bob')}", htmx=True)
    assert r.status_code == 200 and "Checked in" in _text(r) and _triggered(r)
    r = post(client, door.url + f"members/{_public(door, 'cat')}", htmx=True)
    assert r.status_code == 200 and "Walk-in added" in _text(r) and "Cat" in _text(r)
    c, attendance, rows = _state(door)
    assert (c.attended, c.walk_ins, c.registered, c.no_shows) == (2, 1, 3, 2)
    assert rows[door.ids["cat"]] == ("registered", True, True) and set(attendance) == {door.ids["bob"], door.ids["cat"]}


def test_a_new_person_is_added_as_a_member_and_checked_in_once_however_often_the_form_is_sent(client, door):
    form = {"name": "Zoe Walker", "email": "Zoe@Example.test", "key": "k" * 22}
    r = post(client, door.url + "walk-in", form, htmx=True)
    assert r.status_code == 200 and "Walk-in added" in _text(r) and "Zoe Walker" in _text(r)
    assert 'id="walkin"' in _text(r) and "hx-swap-oob" in _text(r)        # a fresh form for the next person
    assert "Already checked in" in _text(post(client, door.url + "walk-in", form, htmx=True))
    offline = {"name": "Yuri", "email": "", "key": "y" * 22}
    assert "Walk-in added" in _text(post(client, door.url + "walk-in", offline, htmx=True))
    assert "Already checked in" in _text(post(client, door.url + "walk-in", offline, htmx=True))
    r = post(client, door.url + "walk-in", {"name": "Ann again", "email": "ANN@example.test"}, htmx=True)
    assert "Checked in" in _text(r) and "Ann" in _text(r)          # her email finds her: registered, not a walk-in
    with tenant_scope(door.a.id, door.o.id), job_session() as s:
        zoe = s.scalar(select(Member).where(Member.display_name == "Zoe Walker"))
        assert zoe.email == "zoe@example.test"
        assert s.execute(select(Identity.channel, Identity.external_id).where(Identity.member_id == zoe.id)).all() \
            == [("email", "zoe@example.test")]
        yuri = s.scalar(select(Member).where(Member.display_name == "Yuri"))
        assert s.scalar(select(Identity.channel).where(Identity.member_id == yuri.id)) == "offline"
        assert s.scalar(select(func.count()).select_from(Member)) == 7
    c, attendance, _rows = _state(door)
    assert (c.attended, c.walk_ins) == (3, 2) and set(attendance.values()) == {1}


def test_a_walk_in_without_a_name_or_with_a_bad_email_is_refused_and_nothing_is_stored(client, door):
    r = post(client, door.url + "walk-in", {"name": "  ", "email": ""}, htmx=True)
    assert r.status_code == 422 and r.headers["HX-Retarget"] == "#walkin"
    assert "Type the person" in _text(r) and " open " in _text(r)
    r = post(client, door.url + "walk-in", {"name": "Xena", "email": "not-an-email"}, htmx=True)
    assert r.status_code == 422 and "This is not an email address." in _text(r) and 'value="Xena"' in _text(r)
    r = post(client, door.url + "walk-in", {"name": "Xena\x00", "email": ""}, htmx=True)
    assert r.status_code == 422
    with tenant_scope(door.a.id, door.o.id), job_session() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 5
    assert _state(door)[0].attended == 0


def test_undo_takes_the_check_in_and_its_activity_back_and_is_audited(client, door):
    post(client, door.url + "ticket", {"ticket": door.tickets["ann"]}, htmx=True)
    with tenant_scope(door.a.id, door.o.id), job_session() as s:
        reg = s.scalar(select(Registration).where(Registration.member_id == door.ids["ann"]))
        reg_id = reg.public_id
    r = post(client, door.url + f"undo/{reg_id}", htmx=True)
    assert r.status_code == 200 and _triggered(r) and "Check-in undone" in _text(r) and "Ann" in _text(r)
    c, attendance, rows = _state(door)
    assert c.attended == 0 and attendance == {} and rows[door.ids["ann"]] == ("registered", False, False)
    r = post(client, door.url + f"undo/{reg_id}", htmx=True)
    assert r.status_code == 200 and "nothing to undo" in _text(r) and not _triggered(r)
    with tenant_scope(door.a.id), job_session() as s:
        entries = s.scalars(select(AuditLog).where(AuditLog.action == "event_checkin_undone")).all()
        assert [(e.actor_email, e.target, e.meta["registration"]) for e in entries] == [
            ("m@acme.test", "Espresso night: Ann", reg_id)]
    assert "Checked in" in _text(post(client, door.url + "ticket", {"ticket": door.tickets["ann"]}, htmx=True))


def test_unknown_tickets_and_tickets_of_another_event_say_so(client, door):
    for bad in ("nope-nope-nope", "", "x" * 3000, "https://evil.test/t/", "<script>", "\x00abcdefghij"):
        r = post(client, door.url + "ticket", {"ticket": bad}, htmx=True)
        assert r.status_code == 422 and "Unknown ticket" in _text(r) and not _triggered(r), bad
    other = event(door.a, door.o, title="Latte art")
    with tenant_scope(door.a.id, door.o.id), job_session() as s:
        ticket = regs.register(s, events.by_public_id(s, door.o.id, other), door.ids["eve"], "form")[0].ticket
        s.commit()
    r = post(client, door.url + "ticket", {"ticket": ticket}, htmx=True)
    assert r.status_code == 422 and "This ticket is for another event" in _text(r) and "Latte art" in _text(r)
    assert _state(door)[0].attended == 0


def test_the_search_puts_this_events_registrants_first_then_other_members(client, door):
    with tenant_scope(door.a.id, door.o.id), job_session() as s:
        e = events.by_public_id(s, door.o.id, door.pid)
        regs.cancel(s, s.scalar(select(Registration).where(Registration.member_id == door.ids["ann"])), e, ACTOR)
        s.commit()
    body = _text(client.get(door.url + "?q=an", headers={"HX-Request": "true", "HX-Target": "results"}))
    assert body.startswith('<div id="results"')
    assert body.index("Dan") < body.index("Ann")           # Dan registered; Ann cancelled: a walk-in now
    assert "Walk-in" in body and "cancelled" in body
    assert "Nobody found" in _text(client.get(door.url + "?q=zzzz", headers={"HX-Request": "true",
                                                                              "HX-Target": "results"}))
    assert "Eve" in _text(client.get(door.url + "?q=@eve"))      # a handle, and the whole page without script


def test_every_form_needs_the_csrf_token(client, door):
    for path, data in (("ticket", {"ticket": door.tickets["ann"]}), ("walk-in", {"name": "Zed"}),
                       (f"members/{_public(door, 'bob')}", {})):
        assert client.post(door.url + path, data=data).status_code == 400
        assert client.post(door.url + path, data=data, headers={"HX-Request": "true",
                                                                 "X-CSRFToken": "forged"}).status_code == 400
    assert _state(door)[0].attended == 0
    token = csrf_of(client, door.url)
    r = client.post(door.url + "ticket", data={"ticket": door.tickets["ann"], "csrf_token": token})
    assert r.status_code == 200 and "Checked in" in _text(r) and "Espresso night" in _text(r)   # no script: the page


def test_the_page_in_russian(client, door):
    post(client, door.url + "ticket", {"ticket": door.tickets["ann"]}, htmx=True)
    page = _text(client.get(door.url, headers={"Accept-Language": "ru"}))
    assert "Сканировать QR-код" in page and "Новый человек" in page and "Последние отметки" in page
    r = post(client, door.url + "ticket", {"ticket": door.tickets["ann"]}, htmx=True,
             headers={"Accept-Language": "ru"})
    assert "Уже отмечен(а) в" in _text(r)
