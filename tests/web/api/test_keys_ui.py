"""API keys from the organisation's integrations page and from the CLI."""
from __future__ import annotations

import re
import subprocess
import sys

from tests.support import factories
from tests.support.http import login, post


def test_key_is_shown_once_works_and_can_be_revoked(app, client):
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "One")
    factories.person(a, "c@acme.test", "client", [o.id])
    login(client, "o@acme.test")
    r = post(client, "/acme/one/integrations/keys", {"name": "Telegram bot"}, htmx=True)
    assert r.status_code == 200
    token = re.search(r"(cmk_[0-9a-f]{8}_[A-Za-z0-9_-]+)", r.text).group(1)
    page = client.get("/acme/one/integrations/")
    assert token not in page.text and "Telegram bot" in page.text and "never" in page.text
    api = app.test_client()
    assert api.get("/api/v1/members", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert "never" not in client.get("/acme/one/integrations/").text
    key_id = re.search(r"/integrations/keys/([^/]+)/revoke", page.text).group(1)
    assert post(client, f"/acme/one/integrations/keys/{key_id}/revoke", htmx=True).status_code == 200
    assert api.get("/api/v1/members", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert post(client, "/acme/one/integrations/keys", {"name": " "}, htmx=True).status_code == 422
    c = app.test_client()
    login(c, "c@acme.test")
    assert c.get("/acme/one/integrations/").status_code == 404     # clients read reports only


def test_cli_creates_a_working_key(app, worker_env):
    a = factories.agency("Acme", "o@acme.test")
    factories.org(a, "One")
    r = subprocess.run([sys.executable, "-m", "web.cli", "api-key", "create", "acme", "one", "Script"],
                       env=worker_env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert app.test_client().get("/api/v1/members", headers={"Authorization": f"Bearer {token}"}).status_code == 200
