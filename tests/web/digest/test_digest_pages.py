"""The digest page (staff who work in the organisation; clients and other tenants get 404), its form's errors,
the test send through a real worker, and the public unsubscribe page (asks on GET, acts on POST)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.digest import service
from tests.support import factories
from tests.support.http import csrf_of, login, post
from tests.support.public_events import mails
from tests.support.workers import work_burst

BASE = "/acme/coffee/digest/"


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    tea = factories.org(a, "Tea")
    factories.person(a, "m@acme.test", "manager", [o.id])
    factories.person(a, "tm@acme.test", "manager", [tea.id])
    factories.person(a, "c@acme.test", "client", [o.id])
    b = factories.agency("Beta", "o@beta.test")
    factories.org(b, "Coffee")
    return a, o


@pytest.mark.parametrize("who", ["c@acme.test", "tm@acme.test", "o@beta.test"])
def test_clients_other_organisations_and_other_agencies_get_404(client, world, who):
    login(client, who)
    assert client.get(BASE).status_code == 404
    assert post(client, BASE, {"weekly": "on", "extra": ""}).status_code == 404
    assert post(client, BASE + "test").status_code == 404
    a, o = world
    with tenant_scope(a.id, o.id), job_session() as s:
        assert service.settings_of(s, o.id).weekly is False


def test_the_manager_saves_the_schedule_and_a_bad_address_is_named_and_nothing_saved(client, world):
    login(client, "m@acme.test")
    page = client.get(BASE).text
    assert "c@acme.test" in page and "Nothing sent yet." in page
    r = post(client, BASE, {"weekly": "on", "extra": "boss@client.example\nnope"})
    assert r.status_code == 422 and "nope is not an email address." in r.text
    assert "boss@client.example\nnope" in r.text                 # what was typed stays in the box
    r = post(client, BASE, {"weekly": "on", "paused": "on", "extra": "boss@client.example"})
    assert r.status_code == 302
    page = client.get(BASE).text
    assert 'data-testid="digest-paused"' in page and "boss@client.example" in page
    ru = client.get(BASE, headers={"Accept-Language": "ru"}).text
    assert "Рассылка приостановлена" in ru


def test_a_test_send_goes_through_the_worker_to_the_person_asking_and_shows_in_the_log(client, world, worker_env):
    login(client, "m@acme.test")
    post(client, BASE, {"paused": "on", "extra": ""})
    assert post(client, BASE + "test").status_code == 302
    assert 'hx-trigger="load delay:2s"' in client.get(BASE).text          # the log polls while it runs
    assert work_burst(worker_env).returncode == 0
    sent = mails("m@acme.test")
    assert len(sent) == 1 and sent[0].subject == "[Test] Coffee: your community this week"
    page = client.get(BASE, headers={"HX-Request": "true", "HX-Target": "log"}).text
    assert page.lstrip().startswith('<section class="card" id="log"') and "load delay" not in page
    assert 'data-outcome="sent"' in page and "m@acme.test" in page


def test_unsubscribe_asks_first_then_acts_and_a_bad_token_is_404(client, world):
    a, o = world
    with tenant_scope(a.id, o.id), job_session() as s:
        service.update(s, o.id, Actor(), weekly=True, paused=False, extra="")
        service.send(s, o.id, "weekly")
        s.commit()
    link = re.search(r"http://[^/]+(/digest/unsubscribe/\S+)", mails("c@acme.test")[0].body).group(1)
    page = client.get(link)
    assert page.status_code == 200 and 'data-state="in"' in page.text
    assert page.headers["Cache-Control"] == "no-store" and "noindex" in page.headers["X-Robots-Tag"]
    r = client.post(link, data={"csrf_token": csrf_of(client, link), "action": "unsubscribe"})
    assert r.status_code == 200 and 'data-state="out"' in r.text
    with system_scope() as s:
        assert s.execute(text("SELECT unsubscribed_at IS NOT NULL FROM digest_recipient")).scalar() is True
    with tenant_scope(a.id, o.id), job_session() as s:
        assert [r.outcome for r in service.send(s, o.id, "weekly")] == ["unsubscribed"]
    assert client.get("/digest/unsubscribe/" + "A" * 43).status_code == 404
    assert client.get("/digest/unsubscribe/%00").status_code == 404
