"""Sign-up by mail: the form answers the same for a new address and one with an account (same page, status and
work); the mail tells the address's owner which it is, in their language."""
from __future__ import annotations

import re

from sqlalchemy import select

from tenants.accounts.models import Agency, AgencyRole, User
from tenants.core.db import system_scope
from tenants.core.models import OutboxMail
from tests.support import factories
from tests.support.http import PASSWORD, csrf_of, login


def _outbox(to: str) -> list[OutboxMail]:
    with system_scope() as s:
        rows = list(s.scalars(select(OutboxMail).where(OutboxMail.to_address == to).order_by(OutboxMail.id)))
        s.expunge_all()
        return rows


def _link(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/signup/\S+)", body).group(1)


def _signup(client, email: str, agency: str = "Ромашка Медиа", **headers):
    token = csrf_of(client, "/signup")
    return client.post("/signup", data={"agency_name": agency, "name": "Irina", "email": email,
                                        "csrf_token": token}, headers=headers)


def _agencies() -> list[tuple[str, str]]:
    with system_scope() as s:
        return sorted(s.execute(select(Agency.slug, User.email).join(AgencyRole, AgencyRole.agency_id == Agency.id)
                                .join(User, User.id == AgencyRole.user_id)).all())


def test_signup_by_mailed_link_creates_the_agency_and_lands_its_owner_on_its_home(client):
    r = _signup(client, "Irina@Example.test")
    assert r.status_code == 200 and 'data-testid="signup-sent"' in r.text
    assert _agencies() == []                                  # nothing exists before the link is opened
    link = _link(_outbox("irina@example.test")[-1].body)
    page = client.get(link)
    assert page.status_code == 200 and "Ромашка Медиа" in page.text
    token = csrf_of(client, link)
    short = client.post(link, data={"password": "short", "csrf_token": token})
    assert short.status_code == 200 and "at least 10 characters" in short.text and _agencies() == []
    done = client.post(link, data={"password": PASSWORD, "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"] == "/romashka-media/"
    assert client.get("/romashka-media/").status_code == 200
    assert _agencies() == [("romashka-media", "irina@example.test")]
    with system_scope() as s:
        assert s.scalar(select(User.password_hash)).startswith("$argon2id$")
    assert client.get(link).status_code == 404                # used up: the account exists now


def test_signup_answers_the_same_for_an_address_with_an_account_and_mails_its_owner(client):
    factories.agency("Acme", "o@acme.test")
    known, unknown = _signup(client, "o@acme.test"), _signup(client, "new@acme.test")
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert _agencies() == [("acme", "o@acme.test")]
    [mail] = _outbox("o@acme.test")
    assert mail.subject == "Someone tried to sign up with your address"
    assert "http://localhost/login" in mail.body and "http://localhost/password/forgot" in mail.body
    # The owner who did mean it creates the agency under the account, with its password.
    link = _link(mail.body)
    token = csrf_of(client, link)
    assert "already has a Communa account" in client.get(link).text
    wrong = client.post(link, data={"password": "not-the-password", "csrf_token": token})
    assert wrong.status_code == 200 and _agencies() == [("acme", "o@acme.test")]
    done = client.post(link, data={"password": PASSWORD, "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"] == "/romashka-media/"
    assert _agencies() == [("acme", "o@acme.test"), ("romashka-media", "o@acme.test")]
    assert login(client.application.test_client(), "o@acme.test").status_code == 302


def test_the_mail_to_an_existing_account_is_in_its_owners_language(client):
    factories.agency("Acme", "o@acme.test")
    with system_scope() as s:
        s.scalar(select(User).where(User.email == "o@acme.test")).locale = "ru"
    _signup(client, "o@acme.test", **{"Accept-Language": "en"})
    _signup(client, "fresh@acme.test", **{"Accept-Language": "ru"})
    assert _outbox("o@acme.test")[-1].subject == "Кто-то пытался зарегистрироваться с вашим адресом"
    assert _outbox("fresh@acme.test")[-1].subject == "Завершите создание агентства в Communa"


def test_a_tampered_or_foreign_link_creates_nothing(client, app):
    _signup(client, "irina@example.test")
    link = _link(_outbox("irina@example.test")[-1].body)
    assert client.get(link[:-2] + ("aa" if not link.endswith("aa") else "bb")).status_code == 404
    assert client.get("/signup/not-a-token").status_code == 404
    from itsdangerous import URLSafeTimedSerializer
    forged = URLSafeTimedSerializer("another-secret", salt="communa-signup").dumps(
        {"e": "x@evil.test", "n": "x", "a": "Evil", "l": "en", "u": None})
    assert client.get(f"/signup/{forged}").status_code == 404
    assert _agencies() == []
