"""A ticket mail over SMTP (replaced at its edge by a recorder): text with an HTML alternative and the QR code as a
related inline image; once delivered, or once its link has expired, the outbox keeps neither the link, the HTML
nor the image (the QR code is the ticket)."""
from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest

from tenants.core import mail
from tenants.core.base import utcnow
from tenants.core.db import job_session
from tests.support import public_events as pe


class Recorder:
    sent: list = []

    def __init__(self, host, port, timeout=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def send_message(self, msg):
        Recorder.sent.append(msg)


@pytest.fixture
def smtp(app, monkeypatch):
    monkeypatch.setattr(app.config["COMMUNA"], "mail_server", "smtp.example.test")
    monkeypatch.setattr(smtplib, "SMTP", Recorder)
    monkeypatch.setattr(Recorder, "sent", [])
    return Recorder


def test_a_delivered_ticket_is_multipart_and_the_outbox_keeps_no_ticket(client, smtp):
    w = pe.world()
    pe.register(client, w.form, "Ann", "ann@example.test")
    [reg] = pe.registrations(w)
    [msg] = smtp.sent
    assert msg.get_content_type() == "multipart/alternative"
    plain, related = msg.get_payload()
    assert f"/t/{reg.ticket}" in plain.get_content()
    html, image = related.get_payload()
    assert f"/t/{reg.ticket}" in html.get_content() and image["Content-ID"] == "<ticket-qr>"
    [row] = pe.mails()
    assert row.status == "sent" and reg.ticket not in row.body and mail.LINK_REMOVED in row.body
    assert row.html is None and row.images is None


def test_an_undelivered_ticket_loses_its_html_and_qr_when_the_link_expires(client):
    w = pe.world()
    pe.register(client, w.form, "Ann", "ann@example.test")
    [row] = pe.mails()
    assert row.html and row.images and row.secret_until > utcnow()
    with job_session() as s:
        assert mail.purge(s, 30, now=row.secret_until + timedelta(seconds=1))["mail_links_expired"] == 1
    [row] = pe.mails()
    assert row.html is None and row.images is None and mail.LINK_REMOVED in row.body
