"""The ticket page: the QR code and details, the calendar file, cancelling one's own place (CSRF, rate limit), the
waitlist's first taking the place with a mail, and a ticket that reaches nothing but its own registration."""
from __future__ import annotations

import re

from tests.support import public_events as pe
from tests.support.http import csrf_of


def _cancel(client, ticket: str, with_token: bool = True):
    data = {"csrf_token": csrf_of(client, f"/t/{ticket}")} if with_token else {}
    return client.post(f"/t/{ticket}/cancel", data=data)


def test_the_ticket_page_shows_the_qr_code_and_the_event(client):
    w = pe.world(location="Cafe Beans, Main St 1")
    pe.register(client, w.form, "Ann", "ann@example.test")
    [reg] = pe.registrations(w)
    page = client.get(f"/t/{reg.ticket}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert '<meta name="referrer" content="no-referrer">' in html and page.headers["X-Robots-Tag"].startswith("noindex")
    assert 'data-status="registered"' in html and "<svg" in html and reg.ticket in html
    assert "Cafe Beans, Main St 1" in html and "Meet-up" in html
    assert "style=" not in html                               # the CSP refuses inline styles


def test_the_calendar_file_describes_the_event(client):
    w = pe.world(location="Cafe Beans")
    pe.register(client, w.form, "Ann", "ann@example.test")
    [reg] = pe.registrations(w)
    ics = client.get(f"/t/{reg.ticket}/event.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    body = ics.get_data(as_text=True)
    assert "BEGIN:VEVENT" in body and "SUMMARY:Meet-up" in body and "LOCATION:Cafe Beans" in body
    assert re.search(r"DTSTART:\d{8}T\d{6}Z", body) and all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_cancelling_promotes_the_first_on_the_waitlist_who_gets_the_ticket_by_mail(client):
    w = pe.world(capacity=1)
    pe.register(client, w.form, "Ann", "ann@example.test")
    pe.register(client, w.form, "Bob", "bob@example.test")
    pe.register(client, w.form, "Cat", "cat@example.test")
    ann, bob, cat = pe.registrations(w)
    assert _cancel(client, ann.ticket, with_token=False).status_code == 400         # CSRF
    assert [r.status for r in pe.registrations(w)] == ["registered", "waitlisted", "waitlisted"]
    done = _cancel(client, ann.ticket)
    assert done.status_code == 303 and done.headers["Location"] == f"/t/{ann.ticket}"
    assert [r.status for r in pe.registrations(w)] == ["cancelled", "registered", "waitlisted"]
    assert 'data-status="cancelled"' in client.get(f"/t/{ann.ticket}").get_data(as_text=True)
    promotion = pe.mails("bob@example.test")[-1]
    assert promotion.subject == "A place opened up: Meet-up"
    assert pe.path_in(promotion, "/t/") == f"/t/{bob.ticket}"
    assert pe.decode_qr(promotion.images["ticket-qr"]) == [bob.ticket]
    assert pe.mails("cat@example.test")[-1].subject.startswith("You are on the waitlist")
    _cancel(client, ann.ticket)                                                     # again: nothing more happens
    assert [r.status for r in pe.registrations(w)] == ["cancelled", "registered", "waitlisted"]
    assert len(pe.mails("bob@example.test")) == 2


def test_a_checked_in_registration_cannot_be_cancelled_from_the_ticket(client):
    w = pe.world()
    pe.register(client, w.form, "Ann", "ann@example.test")
    [reg] = pe.registrations(w)
    from tenants.core.context import tenant_scope
    from tenants.core.db import job_session
    from tenants.events import events, registrations
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        event = events.by_public_id(s, w.o.id, w.event_id)
        registrations.check_in(s, event, reg.member_id)
    assert "Cannot come?" not in client.get(f"/t/{reg.ticket}").get_data(as_text=True)
    _cancel(client, reg.ticket)
    assert [r.status for r in pe.registrations(w)] == ["registered"]


def test_cancelling_is_rate_limited(client):
    w = pe.world()
    pe.register(client, w.form, "Ann", "ann@example.test")
    [reg] = pe.registrations(w)
    token = csrf_of(client, f"/t/{reg.ticket}")
    statuses = [client.post(f"/t/{reg.ticket}/cancel", data={"csrf_token": token}).status_code for _ in range(11)]
    assert statuses[:10] == [303] * 10 and statuses[10] == 429


def test_a_ticket_reaches_its_own_registration_only(client, app):
    """Two events of one organisation and one of another agency: each ticket shows and cancels its own."""
    a_one = pe.world(title="Alpha Night", capacity=1)
    a_two = pe.on(a_one.a, a_one.o, title="Alpha Day", capacity=1)
    beta = pe.world("Beta", "Beans", title="Beta Brunch", capacity=1)
    for w in (a_one, a_two, beta):
        pe.register(client, w.form, "Ann", "ann@example.test")
        pe.register(client, w.form, "Bob", "bob@example.test")
    [ann_one, _bob_one] = pe.registrations(a_one)
    html = client.get(f"/t/{ann_one.ticket}").get_data(as_text=True)
    assert "Alpha Night" in html and "Alpha Day" not in html and "Beta" not in html
    assert client.get(f"/t/{ann_one.ticket}x").status_code == 404
    _cancel(client, ann_one.ticket)
    assert [r.status for r in pe.registrations(a_one)] == ["cancelled", "registered"]
    assert [r.status for r in pe.registrations(a_two)] == ["registered", "waitlisted"]
    assert [r.status for r in pe.registrations(beta)] == ["registered", "waitlisted"]
    [beta_ann, _] = pe.registrations(beta)
    assert client.get(f"/s/{beta_ann.ticket}").status_code == 404               # a ticket is no survey token
    assert client.get(f"/e/{beta_ann.ticket}").status_code == 404


def test_the_links_in_mails_are_the_routes_of_the_public_pages(app):
    from tenants.events import notify
    with app.test_request_context():
        from flask import url_for
        assert url_for("public_events.register", token="T" * 20) == notify.FORM_PATH.format("T" * 20)
        assert url_for("public_events.ticket", token="T" * 20) == notify.TICKET_PATH.format("T" * 20)
        assert url_for("public_events.answer", token="T" * 20) == notify.SURVEY_PATH.format("T" * 20)


def test_the_online_link_is_only_for_those_with_a_place(client):
    w = pe.world(format="online", url="https://meet.example/secret-room", capacity=1)
    assert "secret-room" not in client.get(w.form).get_data(as_text=True)
    pe.register(client, w.form, "Ann", "ann@example.test")
    pe.register(client, w.form, "Bob", "bob@example.test")
    ann, bob = pe.registrations(w)
    assert "secret-room" in client.get(f"/t/{ann.ticket}").get_data(as_text=True)
    assert "secret-room" in client.get(f"/t/{ann.ticket}/event.ics").get_data(as_text=True)
    assert "secret-room" in pe.mails("ann@example.test")[0].body
    assert "secret-room" not in client.get(f"/t/{bob.ticket}").get_data(as_text=True)      # waitlisted
    assert "secret-room" not in client.get(f"/t/{bob.ticket}/event.ics").get_data(as_text=True)
    assert "secret-room" not in pe.mails("bob@example.test")[0].body
