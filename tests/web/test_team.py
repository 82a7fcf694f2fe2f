"""People: invitations (single use, expiry), roles and what each role may do."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from tenants.accounts.models import AgencyRole, User
from tenants.agency.models import Invitation, OrgAccess
from tenants.core.base import utcnow
from tenants.core.db import system_scope
from tenants.core.models import OutboxMail
from tests.support import factories
from tests.support.http import PASSWORD, csrf_of, login, post


def _invite_link(email: str) -> str:
    with system_scope() as s:
        stmt = select(OutboxMail).where(OutboxMail.to_address == email).order_by(OutboxMail.id.desc())
        mail = s.scalars(stmt).first()
        return re.search(r"https?://[^/]+(/invite/\S+)", mail.body).group(1)


def _accept(client, link: str, **data):
    token = csrf_of(client, link)
    return client.post(link, data={"csrf_token": token, **data})


def _setup(client):
    a = factories.agency("Acme", "o@acme.test")
    o1, o2 = factories.org(a, "One"), factories.org(a, "Two")
    login(client, "o@acme.test")
    return a, o1, o2


def test_invite_manager_accept_and_see_only_assigned_org(app, client):
    a, o1, o2 = _setup(client)
    r = post(client, "/acme/people/invite", {"email": "Mia@Example.test", "role": "manager", "orgs": [o1.public_id]},
             htmx=True)
    assert r.status_code == 200 and "Invitation sent to mia@example.test" in r.text
    assert r.headers["HX-Trigger"] == "people-changed"
    link = _invite_link("mia@example.test")
    invitee = app.test_client()
    assert _accept(invitee, link, name="Mia", password=PASSWORD).status_code == 302
    home = invitee.get("/acme/")
    assert home.status_code == 200 and "One" in home.text and ">Two<" not in home.text
    assert invitee.get("/acme/one/").status_code == 200
    assert invitee.get("/acme/two/").status_code == 404
    assert invitee.get("/acme/people/").status_code == 404
    assert invitee.get("/acme/audit/").status_code == 404
    assert invitee.get("/acme/one/settings").status_code == 404
    # single use
    assert app.test_client().get(link).status_code == 404
    assert _accept(app.test_client(), link, name="Eve", password=PASSWORD).status_code == 404


def test_expired_invitation_is_refused(app, client):
    _setup(client)
    post(client, "/acme/people/invite", {"email": "late@example.test", "role": "admin"})
    link = _invite_link("late@example.test")
    with system_scope() as s:
        s.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
    other = app.test_client()
    assert other.get(link).status_code == 404
    assert _accept(other, link, name="Late", password=PASSWORD).status_code == 404
    with system_scope() as s:
        assert s.scalar(select(User).where(User.email == "late@example.test")) is None


def test_invitation_answer_is_the_same_for_known_and_unknown_emails(client):
    _setup(client)
    factories.agency("Elsewhere", "known@else.test")
    known = post(client, "/acme/people/invite", {"email": "known@else.test", "role": "admin"}, htmx=True)
    unknown = post(client, "/acme/people/invite", {"email": "new@else.test", "role": "admin"}, htmx=True)
    assert known.status_code == unknown.status_code == 200
    # CSRF tokens carry a timestamp: two requests a second apart differ there, and only there may.
    def same(text: str, email: str) -> str:
        return re.sub(r'value="[\w.-]{40,}"', 'value="T"', text.replace(email, "X"))
    assert same(known.text, "known@else.test") == same(unknown.text, "new@else.test")


def test_existing_account_accepts_with_its_password_and_switches_agencies(app, client):
    _setup(client)
    factories.agency("Elsewhere", "known@else.test")
    post(client, "/acme/people/invite", {"email": "known@else.test", "role": "admin"})
    link = _invite_link("known@else.test")
    invitee = app.test_client()
    assert "Enter its password" in invitee.get(link).text or "enter its password" in invitee.get(link).text.lower()
    assert _accept(invitee, link, password="wrong-password-1").status_code == 200
    assert _accept(invitee, link, password=PASSWORD).status_code == 302
    page = invitee.get("/acme/")
    assert page.status_code == 200
    # the agency switcher lists both agencies
    assert "/elsewhere/" in page.text and "/acme/" in page.text
    assert invitee.get("/elsewhere/").status_code == 200


def test_client_is_read_only_to_exactly_one_org(app, client):
    a, o1, o2 = _setup(client)
    r = post(client, "/acme/people/invite", {"email": "c@client.test", "role": "client",
                                            "orgs": [o1.public_id, o2.public_id]}, htmx=True)
    assert r.status_code == 422 and "exactly one organisation" in r.text
    post(client, "/acme/people/invite", {"email": "c@client.test", "role": "client", "orgs": [o2.public_id]})
    c = app.test_client()
    _accept(c, _invite_link("c@client.test"), name="Cli", password=PASSWORD)
    home = c.get("/acme/")
    assert home.status_code == 302 and home.headers["Location"] == "/acme/two/"
    assert c.get("/acme/two/").status_code == 200
    assert c.get("/acme/two/settings").status_code == 404
    assert post(c, "/acme/two/archive").status_code == 404
    assert post(c, "/acme/orgs", {"name": "Mine"}).status_code == 404
    assert c.get("/acme/one/").status_code == 404


def test_change_role_reassign_and_remove(app, client):
    a, o1, o2 = _setup(client)
    m = factories.person(a, "m@acme.test", "manager", [o1.id])
    r = post(client, f"/acme/people/{m.public_id}/role", {"role": "manager", "orgs": [o2.public_id]}, htmx=True)
    assert r.status_code == 200
    with system_scope() as s:
        assert list(s.scalars(select(OrgAccess.org_id).where(OrgAccess.user_id == m.id))) == [o2.id]
    mc = app.test_client()
    login(mc, "m@acme.test")
    assert mc.get("/acme/one/").status_code == 404 and mc.get("/acme/two/").status_code == 200
    assert post(client, f"/acme/people/{m.public_id}/remove", htmx=True).status_code == 200
    assert mc.get("/acme/two/").status_code == 404
    with system_scope() as s:
        assert s.scalar(select(AgencyRole).where(AgencyRole.user_id == m.id)) is None


def test_admin_cannot_touch_owners_and_the_last_owner_stays(app, client):
    a, o1, _ = _setup(client)
    admin = factories.person(a, "ad@acme.test", "admin")
    with system_scope() as s:
        owner = s.scalar(select(User).where(User.email == "o@acme.test"))
    ac = app.test_client()
    login(ac, "ad@acme.test")
    r = post(ac, f"/acme/people/{owner.public_id}/role", {"role": "manager"}, htmx=True)
    assert r.status_code == 422
    assert post(ac, "/acme/people/invite", {"email": "x@y.test", "role": "owner"}, htmx=True).status_code == 422
    r = post(client, f"/acme/people/{owner.public_id}/remove", htmx=True)
    assert r.status_code == 422 and "at least one owner" in r.text
    assert post(client, f"/acme/people/{admin.public_id}/role", {"role": "owner"}, htmx=True).status_code == 200


def test_revoked_invitation_no_longer_works(app, client):
    _setup(client)
    post(client, "/acme/people/invite", {"email": "r@x.test", "role": "admin"})
    link = _invite_link("r@x.test")
    with system_scope() as s:
        inv = s.scalar(select(Invitation))
    assert post(client, f"/acme/people/invitations/{inv.public_id}/revoke", htmx=True).status_code == 200
    assert app.test_client().get(link).status_code == 404


def test_orgs_create_rename_archive_restore(app, client):
    a, o1, _ = _setup(client)
    r = post(client, "/acme/orgs", {"name": "Север"}, htmx=True)
    assert r.status_code == 200 and "sever" in r.text
    assert "orgs-changed" in r.headers["HX-Trigger"]
    assert post(client, "/acme/orgs", {"name": "  "}, htmx=True).status_code == 422
    assert post(client, "/acme/sever/settings", {"name": "Север Плюс"}).status_code == 302
    assert "Север Плюс" in client.get("/acme/sever/").text
    m = factories.person(a, "m@acme.test", "manager", [o1.id])
    assert m
    mc = app.test_client()
    login(mc, "m@acme.test")
    assert mc.get("/acme/one/").status_code == 200
    assert post(client, "/acme/one/archive").status_code == 302
    assert mc.get("/acme/one/").status_code == 404           # archived: hidden from managers
    assert "One" in client.get("/acme/").text                # listed under "Archived" for admins
    assert post(client, "/acme/one/restore").status_code == 302
    assert mc.get("/acme/one/").status_code == 200
