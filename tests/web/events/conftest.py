"""The event pages' world: agency Acme with Coffee (members Ann, Bob, Cat, Dan, Eve), its owner, a manager and
a client; a manager and a client of another organisation, Tea; and another agency's owner."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.events import events, registrations
from tenants.events.models import Registration
from tests.support import factories
from tests.support.events import ACTOR, people


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    tea = factories.org(a, "Tea")
    factories.person(a, "m@acme.test", "manager", [o.id])
    factories.person(a, "c@acme.test", "client", [o.id])
    factories.person(a, "m2@acme.test", "manager", [tea.id])
    factories.person(a, "c2@acme.test", "client", [tea.id])
    beta = factories.agency("Beta", "o@beta.test")
    return SimpleNamespace(a=a, o=o, tea=tea, beta=beta, ids=people(a, o))


def register(w, event_id: str, *names: str, org=None) -> None:
    org = org or w.o
    with tenant_scope(w.a.id, org.id), job_session() as s:
        e = events.by_public_id(s, org.id, event_id)
        for n in names:
            registrations.register(s, e, w.ids[n], "form", ACTOR)
        s.commit()


def statuses(w, event_id: str, org=None) -> dict[int, str]:
    org = org or w.o
    with tenant_scope(w.a.id, org.id), job_session() as s:
        e = events.by_public_id(s, org.id, event_id)
        return {r.member_id: r.status for r in s.query(Registration).filter(Registration.event_id == e.id)}
