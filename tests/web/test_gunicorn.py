"""The production shape: gunicorn with several workers. Login throttling must hold across them."""
from __future__ import annotations

import http.cookiejar
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from .. import factories


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(worker_env):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "3", "--bind", f"127.0.0.1:{port}",
                             "web:create_app()"], env=worker_env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
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
