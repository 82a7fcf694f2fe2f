"""X-Forwarded-For is believed only as far as TRUSTED_PROXIES says: with none, a forged header changes neither
the login limit's bucket nor the audit log's address; behind one proxy the right-most value is the client."""
from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select

from tenants.core.db import system_scope
from tenants.core.models import AuditLog
from tests.support import factories
from tests.support.http import csrf_of


def _failed_ips(agency_id: int) -> list[str]:
    with system_scope() as s:
        return list(s.scalars(select(AuditLog.ip).where(AuditLog.agency_id == agency_id,
                                                        AuditLog.action == "login_failed").order_by(AuditLog.id)))


def _login(client, email: str, forwarded: str):
    token = csrf_of(client, "/login")
    return client.post("/login", data={"email": email, "password": "wrong-password-x", "csrf_token": token},
                       headers={"X-Forwarded-For": forwarded})


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(app, client):
    assert app.config["COMMUNA"].trusted_proxies == 0
    a = factories.agency("Acme", "o@acme.test")
    assert _login(client, "o@acme.test", "203.0.113.7").status_code == 200
    assert _failed_ips(a.id) == ["127.0.0.1"]
    # Every failure claims another address: all of them still count against the one real client.
    for i in range(29):
        assert _login(client, f"user{i}@nowhere.test", f"198.51.100.{i}").status_code == 200
    assert _login(client, "late@nowhere.test", "192.0.2.200").status_code == 429


@pytest.fixture
def behind_one_proxy(worker_env):
    from bench.ingest import start_gunicorn
    env = dict(worker_env, TRUSTED_PROXIES="1", LOGIN_LIMIT_PER_IP="3 per 15 minutes",
               LOGIN_LIMIT_PER_ACCOUNT="100 per 15 minutes")
    proc, base = start_gunicorn(1, env)
    yield base
    proc.terminate()
    proc.wait(10)


def _attempt(base: str, forwarded: str) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    headers = {"X-Forwarded-For": forwarded}
    html = opener.open(urllib.request.Request(base + "/login", headers=headers)).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"email": "o@acme.test", "password": "wrong-password-x",
                                   "csrf_token": token}).encode()
    try:
        return opener.open(urllib.request.Request(base + "/login", data=data, headers=headers)).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_behind_one_proxy_the_right_most_address_is_the_client(behind_one_proxy):
    a = factories.agency("Acme", "o@acme.test")
    # What the client wrote comes first; the proxy appends the address it saw.
    assert [_attempt(behind_one_proxy, f"10.9.9.{i}, 203.0.113.5") for i in range(3)] == [200] * 3
    assert _failed_ips(a.id) == ["203.0.113.5"] * 3
    assert _attempt(behind_one_proxy, "10.9.9.9, 203.0.113.5") == 429        # that client's bucket is full
    assert _attempt(behind_one_proxy, "203.0.113.5, 203.0.113.6") == 200     # another client's is not
    assert _failed_ips(a.id)[-1] == "203.0.113.6"
