"""The outbox keeps no usable token at rest: a delivered mail keeps its body without the link, an undelivered one
loses the link when it expires, and old mails are deleted (daily, by the scheduler). SMTP, outside the machine,
is replaced at its edge by a recorder."""
from __future__ import annotations

import re
import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tenants.core import mail
from tenants.core.db import job_session
from tests.support import factories
from tests.support.http import csrf_of, login, post

URL = re.compile(r"https?://[^\s\"'<>]+")
WORD = re.compile(r"[A-Za-z0-9_.\-]{16,}")          # anything long enough to be a token, in a URL or not
TOKEN_ROUTES = ("/password/reset/", "/invite/", "/signup/")


class Recorder:
    """smtplib.SMTP as far as tenants.core.mail uses it; keeps what would have been sent."""
    sent: list = []
    fail = False

    def __init__(self, host, port, timeout=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, msg):
        if Recorder.fail:
            raise smtplib.SMTPServerDisconnected("the relay hung up")
        Recorder.sent.append(msg.get_content())


@pytest.fixture
def smtp(app, monkeypatch):
    monkeypatch.setattr(app.config["COMMUNA"], "mail_server", "smtp.example.test")
    monkeypatch.setattr(smtplib, "SMTP", Recorder)
    monkeypatch.setattr(Recorder, "sent", [])
    monkeypatch.setattr(Recorder, "fail", False)
    return Recorder


def _outbox_cells(owner_engine) -> list[str]:
    """Every text cell of the outbox, read as the owner (no RLS, nothing hidden)."""
    with owner_engine.connect() as conn:
        columns = conn.execute(text("SELECT column_name FROM information_schema.columns WHERE table_name = "
                                    "'outbox_mail' AND data_type IN ('text', 'character varying')")).scalars().all()
        return [v for row in conn.execute(text(f"SELECT {', '.join(columns)} FROM outbox_mail")) for v in row if v]


def _outbox_urls(owner_engine) -> list[str]:
    return [u for cell in _outbox_cells(owner_engine) for u in URL.findall(cell)]


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url).rstrip(".,)")


def _candidates(cells: list[str]) -> set[str]:
    """Each URL's path and each token-like word, tried against every route that takes a token."""
    paths = {_path(u) for cell in cells for u in URL.findall(cell)}
    words = {w for cell in cells for w in WORD.findall(cell)} | {p.rsplit("/", 1)[-1] for p in paths}
    return paths | {route + w for route in TOKEN_ROUTES for w in words if w}


def _send_every_kind_of_link(client) -> None:
    factories.agency("Acme", "o@acme.test")
    token = csrf_of(client, "/password/forgot")
    client.post("/password/forgot", data={"email": "o@acme.test", "csrf_token": token})
    for email in ("o@acme.test", "new@acme.test"):
        token = csrf_of(client, "/signup")
        client.post("/signup", data={"agency_name": "Beta", "name": "B", "email": email, "csrf_token": token})
    login(client, "o@acme.test")
    post(client, "/acme/people/invite", {"email": "max@acme.test", "role": "admin"})
    post(client, "/logout")


def test_after_delivery_no_row_of_the_outbox_holds_a_usable_link(client, smtp, owner_engine):
    _send_every_kind_of_link(client)
    delivered = [u for body in smtp.sent for u in URL.findall(body)
                 if re.search(r"/(password/reset|invite|signup)/", u)]
    assert len(delivered) == 4
    for url in delivered:                                  # the links that went out work...
        assert client.get(_path(url)).status_code == 200, url
    # The search finds the links in what was sent, so it would find them in the outbox.
    assert {_path(u) for u in delivered} <= _candidates(smtp.sent)
    tried = _candidates(_outbox_cells(owner_engine))
    assert tried and not {_path(u) for u in delivered} & tried
    for path in tried:                                     # ...and nothing kept in the outbox opens anything
        if path.startswith(TOKEN_ROUTES):
            assert client.get(path).status_code == 404, path
    with owner_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox_mail WHERE status = 'sent' AND body LIKE "
                                 "'%[link removed]%' AND safe_body IS NULL")).scalar() == 4


def test_an_undelivered_link_is_dropped_when_it_expires(client, smtp, owner_engine):
    smtp.fail = True
    factories.agency("Acme", "o@acme.test")
    token = csrf_of(client, "/password/forgot")
    client.post("/password/forgot", data={"email": "o@acme.test", "csrf_token": token})
    [link] = [u for u in _outbox_urls(owner_engine) if "/password/reset/" in u]      # failed: kept, still valid
    with job_session() as s:
        assert mail.purge(s, 30) == {"mail_links_expired": 0, "mails_deleted": 0}
    with job_session() as s:
        counts = mail.purge(s, 30, now=datetime.now(UTC) + timedelta(hours=2))       # past the hour it works
    assert counts["mail_links_expired"] == 1
    assert link not in _outbox_urls(owner_engine)


def test_the_scheduler_deletes_mails_older_than_the_retention(client, owner_engine):
    from workers.scheduler import tick
    factories.agency("Acme", "o@acme.test")
    for email in ("old@acme.test", "new@acme.test"):
        token = csrf_of(client, "/signup")
        client.post("/signup", data={"agency_name": "Beta", "name": "B", "email": email, "csrf_token": token})
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE outbox_mail SET created_at = now() - interval '31 days', "
                          "secret_until = now() - interval '30 days' WHERE to_address = 'old@acme.test'"))
    assert "purge_accounts" in tick(datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    with owner_engine.connect() as conn:
        kept = conn.execute(text("SELECT to_address, safe_body IS NOT NULL FROM outbox_mail")).all()
    assert kept == [("new@acme.test", True)]               # a day-old mail and its live link stay
