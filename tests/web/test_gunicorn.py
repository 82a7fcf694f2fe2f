"""The production shape: gunicorn with several workers. Login throttling must hold across them."""
from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.support import factories


@pytest.fixture
def gunicorn(worker_env):
    from bench.ingest import start_gunicorn
    proc, base = start_gunicorn(3, worker_env)
    yield base
    proc.terminate()
    proc.wait(10)


def _attempt(base: str, email: str, password: str) -> int:
    """One browser: fresh cookie jar, GET the form, POST it. Keep-alive off, so workers take turns."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token}).encode()
    try:
        return opener.open(base + "/login", data=data).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_login_throttle_is_shared_by_all_gunicorn_workers(gunicorn):
    factories.agency("Acme", "o@acme.test")
    statuses = [_attempt(gunicorn, "o@acme.test", "wrong-password-x") for _ in range(6)]
    # Five failures are allowed in total, not five per worker: the sixth is refused.
    assert statuses == [200] * 5 + [429]
    health = urllib.request.urlopen(gunicorn + "/healthz").read()
    assert b'"redis":"ok"' in health.replace(b" ", b"")
