"""Links in mails are built from PUBLIC_URL: a request made to another host (a forged Host header) never
decides where a reset or an invitation link points."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tenants.core.db import system_scope
from tenants.core.models import OutboxMail
from tests.support import factories
from tests.support.http import CSRF_RE, PASSWORD

EVIL = "http://evil.test/"


@pytest.fixture
def public_url(app, monkeypatch):
    monkeypatch.setattr(app.config["COMMUNA"], "public_url", "https://app.example.test")


def _post(client, path: str, data: dict):
    """A form posted as a browser would, every request of it addressed to the forged host."""
    page = client.get(path, base_url=EVIL).get_data(as_text=True)
    token = next(g for g in CSRF_RE.search(page).groups() if g)
    return client.post(path, data={**data, "csrf_token": token}, base_url=EVIL)


def _mail_to(email: str) -> str | None:
    with system_scope() as s:
        return s.scalars(select(OutboxMail.body).where(OutboxMail.to_address == email)
                         .order_by(OutboxMail.id.desc())).first()


def test_a_reset_link_points_at_public_url_whatever_the_host(client, public_url):
    factories.agency("Acme", "o@acme.test")
    _post(client, "/password/forgot", {"email": "o@acme.test"})
    body = _mail_to("o@acme.test")
    assert body is not None and "https://app.example.test/password/reset/" in body and "evil.test" not in body


def test_an_invitation_link_points_at_public_url_whatever_the_host(client, public_url):
    factories.agency("Acme", "o@acme.test")
    _post(client, "/login", {"email": "o@acme.test", "password": PASSWORD})
    page = client.get("/acme/people/", base_url=EVIL).get_data(as_text=True)
    token = next(g for g in CSRF_RE.search(page).groups() if g)
    client.post("/acme/people/invite", data={"email": "new@acme.test", "role": "admin", "csrf_token": token},
                base_url=EVIL)
    body = _mail_to("new@acme.test")
    assert body is not None and "https://app.example.test/invite/" in body and "evil.test" not in body
