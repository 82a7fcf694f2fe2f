"""The event pages at work: the form (errors beside their input with 422 and nothing saved; local times in the
chosen zone; hosts and speakers), edit and delete; manual registration up to capacity, cancellation promoting
the first waitlisted (mailed); the link and open/close; the member profile's Events section; the organisation's
privacy notice link."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tenants.community.models import Member
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.core.models import AuditLog
from tenants.events import events, registrations
from tenants.events.models import Event
from tests.support.events import event
from tests.support.http import login, post

from .conftest import register, statuses

BASE = "/acme/coffee/events"


def _form(**over) -> dict:
    day = (utcnow() + timedelta(days=10)).date().isoformat()
    return {"title": "Latte art", "format": "offline", "timezone": "Asia/Vladivostok", "starts_at": f"{day}T19:00",
            "ends_at": f"{day}T21:00", "location": "Bar", "url": "", "capacity": "", "promote_waitlist": "on",
            "tags": "barista, art", "series": "", **over}


def _events(w) -> list[Event]:
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        return list(s.query(Event))


def _public(w, name: str) -> str:
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        return s.get(Member, w.ids[name]).public_id


def test_a_bad_form_shows_each_error_beside_its_input_and_saves_nothing(client, world):
    login(client, "m@acme.test")
    cases = {"title": {"title": "  "}, "ends_at": {"ends_at": "2001-01-01T10:00"},
             "timezone": {"timezone": "Mars/Base"}, "capacity": {"capacity": "-3"},
             "url": {"url": "ftp://x"}, "starts_at": {"starts_at": "soon"}}
    for field, bad in cases.items():
        r = post(client, f"{BASE}/new", _form(**bad))
        assert r.status_code == 422, field
        found = re.search(r'data-testid="error-([a-z_]+)">([^<]+)<', r.text)
        assert found and found[1] == field, (field, found and found.groups())
        assert 'value="Latte art"' in r.text or field == "title"      # what was typed stays
    r = post(client, f"{BASE}/new", _form(hosts=_public(world, "ann") + "x"))
    assert r.status_code == 422 and 'data-testid="error-roles"' in r.text
    assert _events(world) == []


def test_create_edit_and_delete_an_event(client, world):
    login(client, "m@acme.test")
    r = post(client, f"{BASE}/new", _form(capacity="30", hosts=_public(world, "ann"), speakers=_public(world, "bob"),
                                          series="Coffee club", form_fields=["phone", "city"]))
    assert r.status_code == 302
    (e,) = _events(world)
    assert r.headers["Location"].endswith(f"{BASE}/{e.public_id}")
    start = datetime.fromisoformat(_form()["starts_at"]).replace(tzinfo=UTC) - timedelta(hours=10)
    assert (e.starts_at, e.timezone, e.capacity, e.tags, e.form_fields) == \
        (start, "Asia/Vladivostok", 30, ["barista", "art"], ["phone", "city"])
    page = client.get(f"{BASE}/{e.public_id}").text
    assert "19:00" in page or "7:00" in page
    assert "Asia/Vladivostok, UTC+10" in page and "Coffee club" in page and "Ann" in page and "Bob" in page
    edit = client.get(f"{BASE}/{e.public_id}/edit").text
    assert f'value="{_form()["starts_at"]}"' in edit and "Ann ×" not in edit and ">Ann <" in edit
    r = post(client, f"{BASE}/{e.public_id}/edit", _form(title="Latte art II", capacity="", timezone="Europe/Moscow",
                                                         speakers=_public(world, "cat")))
    assert r.status_code == 302
    (e2,) = _events(world)
    assert (e2.title, e2.capacity, e2.starts_at) == ("Latte art II", None, start + timedelta(hours=7))
    with tenant_scope(world.a.id, world.o.id), job_session() as s:
        roles = events.roles(s, events.by_public_id(s, world.o.id, e.public_id))
        assert ([m.id for m in roles["host"]], [m.id for m in roles["speaker"]]) == ([], [world.ids["cat"]])
    assert "Latte art II" in client.get(f"{BASE}/").text
    month = (e2.starts_at + timedelta(hours=3)).strftime("%Y-%m")
    calendar = client.get(f"{BASE}/calendar?month={month}").text
    assert calendar.count('data-testid="calendar-event"') == 1 and "Latte art II" in calendar
    assert client.get(f"{BASE}/calendar?month=2024-13").status_code == 400
    assert post(client, f"{BASE}/{e.public_id}/delete").status_code == 302
    assert _events(world) == [] and client.get(f"{BASE}/{e.public_id}").status_code == 404


def test_the_calendar_puts_an_event_on_its_own_local_day(client, world):
    """23:30 UTC on the 9th is the 10th in Vladivostok: the event is on the 10th."""
    eid = event(world.a, world.o, title="Night owls", timezone="Asia/Vladivostok",
                starts_at="2031-03-09T23:30:00+00:00", ends_at="2031-03-10T01:00:00+00:00")
    login(client, "c@acme.test")
    page = client.get(f"{BASE}/calendar?month=2031-03").text
    day = re.search(r'data-day="(\d{4}-\d\d-\d\d)">\s*<span class="calendar-num">\d+</span>\s*<a class="calendar-event'
                    r'[^>]*href="[^"]*' + eid, page)
    assert day and day[1] == "2031-03-10"


def test_manual_registration_and_a_cancel_that_promotes_the_waitlisted(client, world, owner_engine):
    eid = event(world.a, world.o, capacity=2)
    with tenant_scope(world.a.id, world.o.id), job_session() as s:
        s.get(Member, world.ids["dan"]).email = "dan@coffee.test"
        s.commit()
    login(client, "m@acme.test")
    found = client.get(f"{BASE}/{eid}/members?q=bo", headers={"HX-Request": "true"}).text
    assert "Bob" in found and 'data-testid="register-member"' in found
    for name in ("ann", "bob", "dan"):
        r = post(client, f"{BASE}/{eid}/registrations", {"member": _public(world, name)}, htmx=True)
        assert r.status_code == 200
    assert "Dan is on the waitlist" in r.text
    again = post(client, f"{BASE}/{eid}/registrations", {"member": _public(world, "ann")}, htmx=True)
    assert "Ann is already registered." in again.text
    ids = world.ids
    assert statuses(world, eid) == {ids["ann"]: "registered", ids["bob"]: "registered", ids["dan"]: "waitlisted"}
    with tenant_scope(world.a.id, world.o.id), job_session() as s:
        e = events.by_public_id(s, world.o.id, eid)
        bob = next(r for r, m in registrations.of_event(s, e) if m.id == ids["bob"]).public_id
    r = post(client, f"{BASE}/{eid}/registrations/{bob}/cancel", htmx=True)
    assert r.status_code == 200 and "Dan took the place from the waitlist" in r.text
    assert statuses(world, eid) == {ids["ann"]: "registered", ids["bob"]: "cancelled", ids["dan"]: "registered"}
    with owner_engine.begin() as conn:
        mails = conn.execute(text("SELECT to_address FROM outbox_mail")).scalars().all()
    assert mails == ["dan@coffee.test"]
    with tenant_scope(world.a.id), job_session() as s:
        changes = [e.meta["change"] for e in s.query(AuditLog).filter(AuditLog.action == "event_registration_changed")
                   .order_by(AuditLog.id)]
    assert changes == ["registered", "registered", "waitlisted", "cancelled"]
    again = post(client, f"{BASE}/{eid}/registrations/{bob}/cancel", htmx=True)      # harmless
    assert again.status_code == 200 and statuses(world, eid)[ids["bob"]] == "cancelled"
    page = client.get(f"{BASE}/{eid}?status=cancelled").text
    assert page.count('data-testid="registration-row"') == 1 and "Bob" in page
    assert client.get(f"{BASE}/{eid}?q=da").text.count('data-testid="registration-row"') == 1
    assert "Promoted from the waitlist" in page


def test_a_checked_in_registration_is_not_cancelled_and_says_why(client, world):
    eid = event(world.a, world.o)
    with tenant_scope(world.a.id, world.o.id), job_session() as s:
        e = events.by_public_id(s, world.o.id, eid)
        reg, _ = registrations.check_in(s, e, world.ids["ann"], Actor(email="t"))
        s.commit()
        rid = reg.public_id
    login(client, "m@acme.test")
    r = post(client, f"{BASE}/{eid}/registrations/{rid}/cancel", htmx=True)
    assert r.status_code == 422 and "undo the check-in first" in r.text
    assert statuses(world, eid) == {world.ids["ann"]: "registered"}


def test_the_link_is_renewed_and_registration_opens_and_closes(client, world):
    eid = event(world.a, world.o)
    login(client, "m@acme.test")
    (before,) = _events(world)
    assert f"http://localhost/e/{before.form_token}" in client.get(f"{BASE}/{eid}").text
    r = post(client, f"{BASE}/{eid}/link", htmx=True)
    (after,) = _events(world)
    assert after.form_token != before.form_token and f"/e/{after.form_token}" in r.text
    assert f"/e/{before.form_token}" not in r.text
    post(client, f"{BASE}/{eid}/open", {"open": "0"}, htmx=True)
    assert _events(world)[0].registration_open is False
    assert "Registration closed" in client.get(f"{BASE}/").text
    post(client, f"{BASE}/{eid}/open", {"open": "1"}, htmx=True)
    assert _events(world)[0].registration_open is True
    page = client.get(f"{BASE}/{eid}").text
    assert f'href="/acme/coffee/events/{eid}/checkin/"' in page and f'href="/acme/coffee/events/{eid}/report"' in page


def test_the_member_profile_lists_events_and_attendance(client, world):
    past = event(world.a, world.o, title="Spring brew", starts_at="2025-03-01T18:00", ends_at="2025-03-01T20:00")
    missed = event(world.a, world.o, title="Summer brew", starts_at="2025-06-01T18:00", ends_at="2025-06-01T20:00")
    upcoming = event(world.a, world.o, title="Autumn brew")
    register(world, past, "ann")
    register(world, missed, "ann")
    with tenant_scope(world.a.id, world.o.id), job_session() as s:
        registrations.check_in(s, events.by_public_id(s, world.o.id, past), world.ids["ann"])
        s.commit()
    login(client, "m@acme.test")
    ann = _public(world, "ann")
    page = client.get(f"/acme/coffee/members/{ann}").text
    section = page[page.index('data-testid="member-events"'):page.index('id="notes"')]
    assert "Spring brew" in section and "Summer brew" in section
    assert 'data-testid="attendance-rate"' in section and "Attendance 50%" in section
    assert section.count('data-testid="member-event-attended"') == 1
    assert f'value="{upcoming}"' in section and f'value="{past}"' not in section
    r = post(client, f"/acme/coffee/members/{ann}/events", {"event": upcoming}, htmx=True)
    assert r.status_code == 200 and "Registered for Autumn brew." in r.text and "Autumn brew" in r.text
    assert statuses(world, upcoming) == {world.ids["ann"]: "registered"}
    assert client.get(f"/acme/coffee/members/{_public(world, 'bob')}").text.count('data-testid="attendance-rate"') == 0


def test_the_privacy_notice_link_is_an_http_link(client, other_client, world):
    login(client, "o@acme.test")
    page = client.get("/acme/coffee/settings").text
    assert 'data-testid="privacy-url"' in page
    for bad in ("javascript:alert(1)", "example.org/privacy", "https://" + "x" * 500):
        r = post(client, "/acme/coffee/settings/privacy", {"privacy_url": bad})
        assert r.status_code == 422 and 'id="privacy-error"' in r.text
    saved = post(client, "/acme/coffee/settings/privacy", {"privacy_url": " https://coffee.test/privacy "})
    assert saved.status_code == 302
    assert 'value="https://coffee.test/privacy"' in client.get("/acme/coffee/settings").text
    assert post(client, "/acme/coffee/settings/privacy", {"privacy_url": ""}).status_code == 302
    login(other_client, "m@acme.test")           # managers do not change organisation settings
    assert post(other_client, "/acme/coffee/settings/privacy", {"privacy_url": "https://x.test"}).status_code == 404
