"""The public registration page: no login, CSRF, rate limits, the member found or created by email, the ticket by
mail with its QR code, the waitlist, closed and ended events, and nothing reachable but the one event."""
from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.policy import default

from sqlalchemy import select

from tenants.community.models import Identity, Member
from tenants.community.validate import ActivityIn, IdentityRef
from tenants.core import mail
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.events import qr
from tenants.events.models import Event
from tests.support import factories
from tests.support import public_events as pe


def test_a_visitor_registers_without_logging_in_and_gets_a_ticket_with_its_qr_code(client):
    w = pe.world(capacity=10, form_fields=["company", "city"])
    page = client.get(w.form)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Meet-up" in html and "10 places left" in html and "(Europe/Moscow)" in html
    assert 'name="company"' in html and 'name="city"' in html and 'name="phone"' not in html
    answer = pe.register(client, w.form, "Ann Lee", "Ann@Example.test", company="Acme Beans", phone="123")
    assert answer.status_code == 200
    assert 'data-outcome="registered"' in answer.get_data(as_text=True)
    [reg] = pe.registrations(w)
    assert (reg.status, reg.source) == ("registered", "form") and reg.consent_at is not None
    assert reg.answers == {"company": "Acme Beans", "lang": "en"}           # a field the event does not ask: dropped
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        member = s.get(Member, reg.member_id)
        assert (member.display_name, member.email) == ("Ann Lee", "ann@example.test")
        assert s.scalars(select(Identity.channel + ":" + Identity.external_id)
                         .where(Identity.member_id == member.id)).all() == ["email:ann@example.test"]
    [ticket] = pe.mails("ann@example.test")
    assert ticket.subject == "Your ticket: Meet-up"
    assert pe.path_in(ticket, "/t/") == f"/t/{reg.ticket}"
    assert f'src="cid:{mail_cid()}"' in ticket.html and reg.ticket in ticket.html
    assert pe.decode_qr(ticket.images[mail_cid()]) == [reg.ticket]         # a real reader finds the ticket
    assert client.get(pe.path_in(ticket, "/t/")).status_code == 200


def mail_cid() -> str:
    from tenants.events.notify import QR_CID
    return QR_CID


def test_the_ticket_mail_is_delivered_as_text_with_an_html_alternative_and_the_inline_qr(client):
    w = pe.world()
    pe.register(client, w.form, "Ann", "ann@example.test")
    [m] = pe.mails()
    msg = message_from_bytes(mail.compose(m.to_address, m.subject, m.body, m.html, m.images).as_bytes(),
                             policy=default)
    assert msg.get_content_type() == "multipart/alternative"
    plain, related = msg.get_payload()
    assert plain.get_content_type() == "text/plain" and "/t/" in plain.get_content()
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    assert html_part.get_content_type() == "text/html" and "cid:ticket-qr" in html_part.get_content()
    assert image.get_content_type() == "image/png" and image["Content-ID"] == "<ticket-qr>"
    [reg] = pe.registrations(w)
    assert image.get_content() == qr.png(reg.ticket)


def test_the_same_email_again_is_already_registered_and_gets_the_ticket_again(client):
    w = pe.world()
    pe.register(client, w.form, "Ann", "ann@example.test")
    again = pe.register(client, w.form, "Somebody Else", " ANN@example.test ")
    assert 'data-outcome="already"' in again.get_data(as_text=True)
    [reg] = pe.registrations(w)
    tickets = pe.mails("ann@example.test")
    assert len(tickets) == 2 and all(pe.path_in(t, "/t/") == f"/t/{reg.ticket}" for t in tickets)
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        assert s.get(Member, reg.member_id).display_name == "Ann"             # the form cannot rename anyone


def test_an_existing_member_with_that_email_is_registered_not_a_new_one(client):
    w = pe.world()
    factories.ingest_into(w.a, w.o, [ActivityIn(IdentityRef("telegram", "42", display_name="Bob", email="bob@x.test"),
                                                "message", utcnow() - timedelta(days=3), "m-1", "telegram")])
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        bob = s.scalar(select(Member.id).where(Member.email == "bob@x.test"))
    pe.register(client, w.form, "Bobby", "Bob@X.test")
    [reg] = pe.registrations(w)
    assert reg.member_id == bob
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        assert s.scalar(select(Identity.member_id).where(Identity.channel == "email")) == bob
        assert len(s.scalars(select(Member.id)).all()) == 1


def test_past_capacity_the_form_offers_the_waitlist_and_waitlists(client):
    w = pe.world(capacity=1)
    pe.register(client, w.form, "Ann", "ann@example.test")
    html = client.get(w.form).get_data(as_text=True)
    assert "Full: join the waitlist" in html and "Join the waitlist" in html
    answer = pe.register(client, w.form, "Bob", "bob@example.test")
    assert 'data-outcome="waitlisted"' in answer.get_data(as_text=True)
    assert [r.status for r in pe.registrations(w)] == ["registered", "waitlisted"]
    [notice] = pe.mails("bob@example.test")
    assert notice.subject == "You are on the waitlist: Meet-up" and not notice.images     # no QR before a place


def test_the_form_refuses_without_csrf_without_consent_and_with_a_bad_email(client):
    w = pe.world()
    client.get(w.form)
    refused = client.post(w.form, data={"name": "Ann", "email": "ann@example.test", "consent": "y"})
    assert refused.status_code == 400
    no_consent = pe.register(client, w.form, "Ann", "ann@example.test", consent=False)
    assert no_consent.status_code == 200 and "Please agree to register." in no_consent.get_data(as_text=True)
    bad = pe.register(client, w.form, "Ann", "not-an-email")
    assert bad.status_code == 200 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    assert pe.registrations(w) == [] and pe.mails() == []


def test_registering_is_rate_limited_per_email_and_per_address(client, app):
    w = pe.world()
    for _ in range(3):
        assert pe.register(client, w.form, "Ann", "ann@example.test").status_code == 200
    assert pe.register(client, w.form, "Ann", "ann@example.test").status_code == 429      # a fourth ticket mail
    assert len(pe.mails("ann@example.test")) == 3
    other = app.test_client()
    statuses = [pe.register(other, w.form, f"P{n}", f"p{n}@example.test").status_code for n in range(28)]
    assert statuses[:27] == [200] * 27 and statuses[27] == 429                 # 30 an hour from one address


def test_a_closed_or_ended_event_says_so_and_registers_nobody(client):
    w = pe.world()
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        s.scalar(select(Event).where(Event.public_id == w.event_id)).registration_open = False
    assert "Registration is closed" in client.get(w.form).get_data(as_text=True)
    assert "Registration is closed" in pe.register(client, w.form, "Ann", "a@example.test").get_data(as_text=True)
    start = (utcnow() - timedelta(days=2)).replace(tzinfo=None, microsecond=0)
    past = pe.on(w.a, w.o, title="Last week", starts_at=start.isoformat(),
                 ends_at=(start + timedelta(hours=2)).isoformat())
    assert "This event has ended" in pe.register(client, past.form, "Ann", "a@example.test").get_data(as_text=True)
    assert pe.registrations(w) == [] and pe.registrations(past) == [] and pe.mails() == []


def test_the_privacy_notice_of_the_organisation_is_what_the_visitor_agrees_to(client):
    w = pe.world()
    assert "keeps my name, email and answers to run this event" in client.get(w.form).get_data(as_text=True)
    with tenant_scope(w.a.id), job_session() as s:
        from tenants.agency.models import Organisation
        s.get(Organisation, w.o.id).privacy_url = "https://coffee.example/privacy"
    html = client.get(w.form).get_data(as_text=True)
    assert 'href="https://coffee.example/privacy"' in html and "privacy notice of Coffee" in html


def test_unknown_tokens_are_404_and_say_nothing_of_other_events_or_organisations(client):
    w = pe.world(title="Acme Secret Summit")
    pe.register(client, w.form, "Ann", "ann@example.test")
    [reg] = pe.registrations(w)
    wrong = [w.token[:-1] + ("A" if w.token[-1] != "A" else "B"), "short", "x" * 64, reg.ticket, w.event_id]
    for token in wrong:
        response = client.get(f"/e/{token}")
        assert response.status_code == 404
        assert "Acme" not in response.get_data(as_text=True) and "Coffee" not in response.get_data(as_text=True)
    assert client.get(f"/t/{w.token}").status_code == 404                      # each secret opens its own page only
    assert client.post(f"/e/{reg.ticket}", data={"name": "x"}).status_code in (400, 404)


def test_an_archived_organisations_form_is_404(client):
    w = pe.world()
    with tenant_scope(w.a.id), job_session() as s:
        from tenants.agency.models import Organisation
        s.get(Organisation, w.o.id).archived_at = utcnow()
    assert client.get(w.form).status_code == 404


def test_secrets_are_long_random_and_distinct():
    w = pe.world()
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        token = s.scalar(select(Event.form_token))
    others = [pe.on(w.a, w.o).token for _ in range(5)]
    assert len(token) >= 32 and len(set(others + [token])) == 6                # 24 random bytes: 192 bits
    from tenants.events import public
    assert public.TOKEN.match(token)


def test_a_russian_visitor_gets_the_page_and_the_ticket_in_russian(client):
    w = pe.world()
    ru = {"Accept-Language": "ru-RU,ru;q=0.9"}
    html = client.get(w.form, headers=ru).get_data(as_text=True)
    assert "Зарегистрироваться" in html
    token = pe.csrf_of(client, w.form)
    client.post(w.form, data={"name": "Аня", "email": "anya@example.test", "consent": "y", "csrf_token": token},
                headers=ru)
    [reg] = pe.registrations(w)
    assert reg.answers["lang"] == "ru"
    [ticket] = pe.mails()
    assert ticket.subject == "Ваш билет: Meet-up" and "Здравствуйте, Аня" in ticket.body


def test_the_member_lookup_is_inside_the_events_organisation(client):
    """The same email in another organisation (and another agency) is another person: nothing of theirs is used."""
    w = pe.world()
    b = pe.world("Beta", "Beans")
    factories.ingest_into(b.a, b.o, [ActivityIn(IdentityRef("email", "ann@example.test", display_name="Beta Ann",
                                                            email="ann@example.test"),
                                                "message", utcnow() - timedelta(days=3), "m-1", "email")])
    pe.register(client, w.form, "Ann", "ann@example.test")
    [reg] = pe.registrations(w)
    with system_scope() as s:
        member = s.get(Member, reg.member_id)
        assert (member.org_id, member.display_name) == (w.o.id, "Ann")
    assert pe.registrations(b) == []
