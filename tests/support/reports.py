"""The reports' world: agency Acme with Coffee (a May 2026 history, scored and rolled up on 1 June) and Tea, its
owner, a manager and a client of Coffee, a manager and a client of Tea, and another agency, Beta."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import text

from tenants import scoring
from tenants.agency import orgs
from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.metrics import rollups
from tenants.metrics.dashboard import Period
from tenants.reports import links, service
from tests.support import factories
from tests.support.scoring import NOW, act

DAY = timedelta(days=1)
MAY = Period(NOW.date().replace(month=5, day=1), NOW.date() - DAY)
ACTOR = Actor(email="test")


def history() -> list:
    """Ann, Bob and Cat busy through April and May (a post a day), Dan quiet since March, Eve new in May."""
    items, n = [], 0
    for who in ("ann", "bob", "cat"):
        for d in range(1, 61):
            n += 1
            items.append(act(who, "post", NOW - d * DAY, f"h{n}", target="ann" if who != "ann" else None))
    items += [act("dan", "message", NOW - 80 * DAY, "d1"), act("eve", "message", NOW - 5 * DAY, "e1"),
              act("eve", "survey_answer", NOW - 4 * DAY, "e2", meta={"nps": 10})]
    return items


def world() -> SimpleNamespace:
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    tea = factories.org(a, "Tea")
    factories.person(a, "m@acme.test", "manager", [o.id])
    factories.person(a, "c@acme.test", "client", [o.id])
    factories.person(a, "m2@acme.test", "manager", [tea.id])
    factories.person(a, "c2@acme.test", "client", [tea.id])
    beta = factories.agency("Beta", "o@beta.test")
    factories.ingest_into(a, o, history())
    score(a, o)
    return SimpleNamespace(a=a, o=o, tea=tea, beta=beta)


def score(a, o) -> None:
    """Scored and rolled up on 31 May (the day's snapshot: members, stages, at risk), then on 1 June."""
    for moment in (NOW - DAY, NOW):
        with tenant_scope(a.id, o.id), job_session() as s:
            scoring.full(s, o.id, moment)
            rollups.rollup(s, o.id, days=120, as_of=moment)
            s.commit()


def report(a, o, p: Period = MAY, status: str = "draft", monthly: bool = True) -> str:
    """A report generated (and approved, published as asked) through the services; its public id."""
    with tenant_scope(a.id, o.id), job_session() as s:
        org = orgs.by_slug(s, o.slug)
        r = service.generate(s, org, p, monthly, ACTOR, today=NOW.date())
        if status in ("approved", "published"):
            service.approve(s, r, ACTOR)
        if status == "published":
            service.publish(s, r, ACTOR)
        s.commit()
        return r.public_id


def share(a, o, report_id: str, **kw) -> str:
    with tenant_scope(a.id, o.id), job_session() as s:
        r = service.by_public_id(s, o.id, report_id, False)
        _link, token = links.create(s, r, ACTOR, **kw)
        s.commit()
        return token


def get(a, o, report_id: str):
    with tenant_scope(a.id, o.id), job_session() as s:
        r = service.by_public_id(s, o.id, report_id, False)
        s.expunge(r)
        return r


def sql(a, o, statement: str, /, **params):
    with tenant_scope(a.id, o.id), job_session() as s:
        result = s.execute(text(statement), params)
        rows = result.all() if result.returns_rows else []
        s.commit()
        return rows
