"""The digest: who it goes to and in which language, the figures it carries (the KPI registry's, with their
plain explanations), pause, unsubscribe, the delivery log, and the weekly fan-out."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tenants import kpis, scoring
from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.digest import service
from tenants.digest.service import DigestError
from tenants.kpis.format import value_text
from tenants.metrics import rollups
from tenants.metrics.dashboard import Period
from tests.support import factories
from tests.support.public_events import mails
from tests.support.scoring import act

NOW = datetime.now(UTC)


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    factories.person(a, "cli@acme.test", "client", [o.id])
    factories.person(a, "ru@acme.test", "client", [o.id])
    factories.person(a, "m@acme.test", "manager", [o.id])       # staff: not a recipient
    with system_scope() as s:
        s.execute(text("UPDATE user_account SET locale = 'ru' WHERE email = 'ru@acme.test'"))
    factories.ingest_into(a, o, [act("ann", "message", NOW - timedelta(days=1), "1"),
                                 act("bob", "message", NOW - timedelta(days=9), "2"),
                                 act("cat", "message", NOW - timedelta(days=2), "3")])
    with tenant_scope(a.id, o.id), job_session() as s:
        scoring.full(s, o.id)
        rollups.rollup(s, o.id, days=30)
        service.update(s, o.id, Actor(), weekly=True, paused=False, extra="Boss@Client.example\nboss@client.example")
        s.commit()
    return a, o


def _send(a, o, kind="weekly", only=None):
    with tenant_scope(a.id, o.id), job_session() as s:
        rows = service.send(s, o.id, kind, only=only)
        s.commit()
        return [(r.email, r.outcome) for r in rows]


def test_the_weekly_digest_goes_to_client_users_and_extra_addresses_in_their_language(world):
    a, o = world
    assert sorted(_send(a, o)) == [("boss@client.example", "sent"), ("cli@acme.test", "sent"),
                                   ("ru@acme.test", "sent")]
    en, ru = mails("cli@acme.test")[0], mails("ru@acme.test")[0]
    assert en.subject == "Coffee: your community this week"
    assert "Active this week" in en.body and "in the last 7 days" in en.body
    assert "Активны за неделю" in ru.body and "Отписаться" in ru.body
    end = NOW.date()
    with tenant_scope(a.id, o.id), job_session() as s:
        want = kpis.compute(s, o.id, Period(end - timedelta(days=6), end), ("members", "active_7d"))
    assert want == {"members": 3, "active_7d": 2}
    assert f"Members: {value_text('members', 3, 'en')}" in en.body and "Active this week: 2" in en.body
    assert "/digest/unsubscribe/" in en.body and en.html and "Unsubscribe" in en.html
    assert not mails("m@acme.test")


def test_pause_and_unsubscribe_send_nothing_and_say_so_in_the_log_and_a_test_still_goes(world):
    a, o = world
    with tenant_scope(a.id, o.id), job_session() as s:
        service.update(s, o.id, Actor(), weekly=True, paused=True, extra="boss@client.example")
        s.commit()
    assert {outcome for _, outcome in _send(a, o)} == {"paused"}
    assert not mails()
    assert _send(a, o, "test", only="m@acme.test") == [("m@acme.test", "sent")]
    assert mails("m@acme.test")[0].subject.startswith("[Test] ")
    with tenant_scope(a.id, o.id), job_session() as s:
        service.update(s, o.id, Actor(), weekly=True, paused=False, extra="boss@client.example")
        token = s.execute(text("SELECT token FROM digest_recipient WHERE email = 'cli@acme.test'")).scalar()
        service.unsubscribe(s, service.by_token(s, token))
        s.commit()
    assert dict(_send(a, o))["cli@acme.test"] == "unsubscribed"
    assert len(mails("cli@acme.test")) == 0 and len(mails("boss@client.example")) == 1
    with tenant_scope(a.id, o.id), job_session() as s:
        log = service.deliveries(s, o.id)
        assert [(r.kind, r.outcome) for r, _ in log][:1] in ([("weekly", "sent")], [("weekly", "unsubscribed")])
        assert {r.outcome for r, _ in log} == {"sent", "paused", "unsubscribed"}


def test_extra_addresses_are_checked_and_nothing_is_saved_when_one_is_wrong(world):
    a, o = world
    with tenant_scope(a.id, o.id), job_session() as s:
        with pytest.raises(DigestError) as exc:
            service.update(s, o.id, Actor(), weekly=False, paused=False, extra="ok@client.example, not-an-address")
        assert exc.value.params == {"address": "not-an-address"}
        s.rollback()
        assert service.settings_of(s, o.id).extra == ["boss@client.example"]
        with pytest.raises(DigestError):
            service.parse_extra(" ".join(f"p{i}@client.example" for i in range(service.MAX_EXTRA + 1)))


def test_the_weekly_fan_out_names_only_organisations_with_the_weekly_digest_on(world):
    a, o = world
    other = factories.org(a, "Tea")
    with tenant_scope(a.id, other.id), job_session() as s:
        service.update(s, other.id, Actor(), weekly=False, paused=False, extra="")
        s.commit()
    with system_scope() as s:
        assert service.weekly_orgs(s) == [(a.id, o.id)]


def test_a_token_names_one_recipient_of_one_organisation(world):
    a, o = world
    b = factories.agency("Beta", "o@beta.test")
    g = factories.org(b, "Gamma")
    factories.person(b, "cli@acme.test", "client", [g.id])          # the same address, another agency
    _send(a, o)
    _send(b, g)
    with system_scope() as s:
        tokens = dict(s.execute(text("SELECT org_id, token FROM digest_recipient WHERE email = 'cli@acme.test'")).all())
    assert tokens[o.id] != tokens[g.id]
    assert service.locate(tokens[g.id]) == (b.id, g.id)
    assert service.locate("x" * 43) is None and service.locate("../../etc") is None
