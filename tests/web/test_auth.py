"""Accounts and security: sign-up, login, CSRF, throttling, sessions, redirects, reset, headers."""
from __future__ import annotations

import re

from sqlalchemy import select

from tenants.core.db import system_scope
from tenants.core.models import AuditLog, OutboxMail
from tests.support import factories
from tests.support.http import PASSWORD, csrf_of, login, post


def _outbox(to: str) -> list[OutboxMail]:
    with system_scope() as s:
        rows = list(s.scalars(select(OutboxMail).where(OutboxMail.to_address == to).order_by(OutboxMail.id)))
        s.expunge_all()
        return rows


def _link(mail: OutboxMail) -> str:
    return re.search(r"https?://[^/]+(/\S+)", mail.body).group(1)


def test_login_logout_and_wrong_password_message_is_the_same_for_unknown_email(client):
    factories.agency("Acme", "known@acme.test")
    wrong_known = login(client, "known@acme.test", "not-the-password")
    unknown = login(client, "nobody@acme.test", "not-the-password")
    assert wrong_known.status_code == unknown.status_code == 200
    msg = re.compile(r'class="error">([^<]+)')
    assert msg.findall(wrong_known.text) == msg.findall(unknown.text) == ["Wrong email or password."]
    ok = login(client, "known@acme.test")
    assert ok.status_code == 302
    assert client.get("/acme/").status_code == 200
    assert post(client, "/logout").status_code == 302
    assert client.get("/acme/").status_code == 302


def test_csrf_is_required_for_forms_and_htmx(client):
    factories.agency("Acme", "o@acme.test")
    assert client.post("/login", data={"email": "o@acme.test", "password": PASSWORD}).status_code == 400
    login(client, "o@acme.test")
    assert client.post("/acme/orgs", data={"name": "No token"}, headers={"HX-Request": "true"}).status_code == 400
    assert post(client, "/acme/orgs", {"name": "With token"}, htmx=True).status_code == 200


def test_login_is_throttled_per_account(client, settings):
    from redis import Redis
    factories.agency("Acme", "o@acme.test")
    for _ in range(5):
        assert login(client, "o@acme.test", "wrong-password-x").status_code == 200
    # Even the right password is refused now: the limit is on the account.
    assert login(client, "o@acme.test").status_code == 429
    # Other accounts from the same IP are not locked by it.
    factories.agency("Other", "p@other.test")
    assert login(client, "p@other.test").status_code == 302
    # The counters live in Redis, shared by every gunicorn worker.
    assert any(b"login-account" in k for k in Redis.from_url(settings.redis_url).keys("*"))


def test_login_is_throttled_per_ip_across_accounts(client):
    for i in range(30):
        assert login(client, f"user{i}@nowhere.test", "wrong-password-x").status_code == 200
    assert login(client, "user99@nowhere.test", "wrong-password-x").status_code == 429


def test_successful_logins_do_not_count_towards_the_limit(client):
    factories.agency("Acme", "o@acme.test")
    for _ in range(8):
        assert login(client, "o@acme.test").status_code == 302
        post(client, "/logout")


def test_old_cookie_stops_working_after_logout(app, client):
    factories.agency("Acme", "o@acme.test")
    login(client, "o@acme.test")
    stolen = client.get_cookie("communa_session").value
    post(client, "/logout")
    thief = app.test_client()
    thief.set_cookie("communa_session", stolen)
    assert thief.get("/acme/").status_code == 302


def test_password_change_revokes_other_sessions_and_keeps_this_one(app, client, other_client):
    factories.agency("Acme", "o@acme.test")
    login(client, "o@acme.test")
    login(other_client, "o@acme.test")
    old_cookie = client.get_cookie("communa_session").value
    r = post(client, "/account/password", {"current": PASSWORD, "password": "a-brand-new-password",
                                           "confirm": "a-brand-new-password"})
    assert r.status_code == 302
    assert client.get("/acme/").status_code == 200          # this browser got a fresh session
    assert other_client.get("/acme/").status_code == 302    # the other one is signed out
    replay = app.test_client()
    replay.set_cookie("communa_session", old_cookie)
    assert replay.get("/acme/").status_code == 302          # and the old cookie is dead
    assert login(app.test_client(), "o@acme.test", "a-brand-new-password").status_code == 302


def test_next_only_goes_to_same_site_paths(client):
    factories.agency("Acme", "o@acme.test")
    for evil in ("//evil.test/x", "https://evil.test/", "/\\evil.test", "javascript:alert(1)", "/\r\nLocation: http://evil.test"):
        c = client.application.test_client()
        token = csrf_of(c, "/login")
        r = c.post("/login", data={"email": "o@acme.test", "password": PASSWORD, "next": evil, "csrf_token": token})
        assert r.status_code == 302
        assert r.headers["Location"] == "/", evil
    token = csrf_of(client, "/login")
    r = client.post("/login", data={"email": "o@acme.test", "password": PASSWORD, "next": "/acme/people/",
                                    "csrf_token": token})
    assert r.headers["Location"] == "/acme/people/"


def test_password_reset_by_mailed_link_is_single_use_and_same_answer_for_unknown(client):
    factories.agency("Acme", "o@acme.test")
    token = csrf_of(client, "/password/forgot")
    known = client.post("/password/forgot", data={"email": "o@acme.test", "csrf_token": token})
    unknown = client.post("/password/forgot", data={"email": "ghost@acme.test", "csrf_token": token})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert _outbox("ghost@acme.test") == []
    link = _link(_outbox("o@acme.test")[-1])
    assert client.get(link).status_code == 200
    token = csrf_of(client, link)
    r = client.post(link, data={"password": "reset-password-123", "confirm": "reset-password-123", "csrf_token": token})
    assert r.status_code == 302
    assert client.get(link).status_code == 404  # used
    assert login(client, "o@acme.test", "reset-password-123").status_code == 302


def test_security_headers_and_cookie_flags(client):
    r = client.get("/login")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in r.headers
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "HX-Request" in r.headers["Vary"]
    https = client.get("/login", base_url="https://localhost")
    assert "max-age" in https.headers["Strict-Transport-Security"]
    assert "<script>" not in r.text and " on" + "click=" not in r.text


def test_logins_and_failures_are_in_the_audit_log(client):
    a = factories.agency("Acme", "o@acme.test")
    login(client, "o@acme.test", "bad-password-1")
    login(client, "o@acme.test")
    with system_scope() as s:
        actions = list(s.scalars(select(AuditLog.action).where(AuditLog.agency_id == a.id).order_by(AuditLog.id)))
    assert actions == ["agency_created", "login_failed", "login"]


def test_healthz_reports_database_and_redis(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json == {"database": "ok", "redis": "ok", "status": "ok", "down": []}


IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def test_sessions_are_named_by_browser_and_system(app, client):
    factories.agency("Acme", "o@acme.test")
    phone = app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = IPHONE
    login(phone, "o@acme.test")
    odd = app.test_client()
    odd.environ_base["HTTP_USER_AGENT"] = "InternalMonitor/0.1 (+https://example.test/a-very-long-agent-string)"
    login(odd, "o@acme.test")
    blank = app.test_client()
    blank.environ_base["HTTP_USER_AGENT"] = "   "
    login(blank, "o@acme.test")
    client.environ_base["HTTP_USER_AGENT"] = FIREFOX
    login(client, "o@acme.test")
    page = client.get("/account/").text
    assert ">Mobile Safari 17 on iOS 17.5, iPhone<" in page and ">Firefox 133 on Windows 10<" in page
    assert ">InternalMonitor/0.1<" in page                  # unknown to the rules: its product, not cut mid-word
    assert ">Unknown browser<" in page
    assert '<aside class="sidebar" id="sidebar">' in page and "/acme/" in page   # the app's layout, in the agency
    post(client, "/lang", {"lang": "ru", "next": "/account/"})
    assert ">Firefox 133, Windows 10<" in client.get("/account/").text


def test_the_account_page_of_someone_in_no_agency_has_the_plain_layout(client):
    a = factories.agency("Acme", "o@acme.test")
    factories.person(a, "gone@acme.test", "admin")
    with system_scope() as s:
        from tenants.accounts.models import AgencyRole, User
        s.execute(AgencyRole.__table__.delete().where(AgencyRole.user_id == s.scalar(
            select(User.id).where(User.email == "gone@acme.test"))))
    login(client, "gone@acme.test")
    assert client.get("/").headers["Location"] == "/account/"
    page = client.get("/account/")
    assert page.status_code == 200 and 'class="plain-shell"' in page.text and 'id="sidebar"' not in page.text
