"""The goal pages' world: agency Acme with Coffee (a small community), its owner, a manager and a client; a
manager and a client of another organisation, Tea; and another agency's owner."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.support import factories
from tests.support.goals import community


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    tea = factories.org(a, "Tea")
    manager = factories.person(a, "m@acme.test", "manager", [o.id])
    factories.person(a, "c@acme.test", "client", [o.id])
    factories.person(a, "m2@acme.test", "manager", [tea.id])
    factories.person(a, "c2@acme.test", "client", [tea.id])
    beta = factories.agency("Beta", "o@beta.test")
    community(a, o)
    return SimpleNamespace(a=a, o=o, tea=tea, beta=beta, manager=manager)
