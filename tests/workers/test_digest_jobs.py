"""The weekly digest through the scheduler's fan-out and a real RQ worker: Mondays only, organisations with the
weekly digest on, each organisation's mail to its own client users."""
from __future__ import annotations

from datetime import UTC, datetime

from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.digest import service
from tests.support import factories
from tests.support.public_events import mails
from tests.support.workers import work_burst
from workers.scheduler import weekly_digests

MONDAY, TUESDAY = datetime(2026, 11, 30, 7, tzinfo=UTC), datetime(2026, 12, 1, 7, tzinfo=UTC)


def test_mondays_each_weekly_organisation_mails_its_own_clients(worker_env):
    a = factories.agency("Acme", "o@acme.test")
    coffee, tea = factories.org(a, "Coffee"), factories.org(a, "Tea")
    b = factories.agency("Beta", "o@beta.test")
    gamma = factories.org(b, "Gamma")
    for org, email in ((coffee, "c@acme.test"), (tea, "t@acme.test")):
        factories.person(a, email, "client", [org.id])
    factories.person(b, "g@beta.test", "client", [gamma.id])
    for agency, org, weekly in ((a, coffee, True), (a, tea, False), (b, gamma, True)):
        with tenant_scope(agency.id, org.id), job_session() as s:
            service.update(s, org.id, Actor(), weekly=weekly, paused=False, extra="")
            s.commit()
    assert weekly_digests(TUESDAY) == 0
    assert weekly_digests(MONDAY) == 2
    assert work_burst(worker_env).returncode == 0
    assert [m.subject for m in mails("c@acme.test")] == ["Coffee: your community this week"]
    assert [m.subject for m in mails("g@beta.test")] == ["Gamma: your community this week"]
    assert mails("t@acme.test") == []
