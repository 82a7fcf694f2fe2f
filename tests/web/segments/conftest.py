"""The segment pages' world: the hand-made organisation of tests/support/segments.py, its staff and a client,
and the people who must not see it."""
from __future__ import annotations

import pytest

from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.segments import service
from tests.support import factories
from tests.support.segments import build_world


@pytest.fixture
def world():
    w = build_world()
    with tenant_scope(w.agency.id, w.org.id), job_session() as s:      # only what each test makes is listed
        for segment in service.of_org(s, w.org.id):                      # (starters: tests/tenants/segments)
            s.delete(segment)
    factories.person(w.agency, "m@acme.test", "manager", [w.org.id])
    factories.person(w.agency, "c@acme.test", "client", [w.org.id])
    other_org = factories.org(w.agency, "Tea")
    factories.person(w.agency, "m2@acme.test", "manager", [other_org.id])
    factories.person(w.agency, "c2@acme.test", "client", [other_org.id])
    factories.agency("Beta", "o@beta.test")
    w.other_org = other_org
    return w


def make(w, data: dict, org=None) -> str:
    """A segment made through the service; its public id."""
    org = org or w.org
    with tenant_scope(w.agency.id, org.id), job_session() as s:
        segment = service.create(s, org.id, data, Actor(email="t"))
        s.commit()
        return segment.public_id
