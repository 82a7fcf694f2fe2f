"""A hand-made organisation for goal tests: members who joined over the last two months, and goals made through
the service."""
from __future__ import annotations

from datetime import timedelta

from tenants.community.validate import ActivityIn, IdentityRef
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.goals import service
from tests.support import factories

ACTOR = Actor(email="t@acme.test")


def community(a, o, joined=(50, 20, 5, 5)) -> None:
    """One member per entry of `joined` (days ago), each with one message that day; scored."""
    noon = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    factories.ingest_into(a, o, [ActivityIn(member=IdentityRef("telegram", f"p{i}", display_name=f"Person {i}"),
                                            type="message", occurred_at=noon - timedelta(days=d),
                                            source_id=f"join-{i}", channel="telegram")
                                 for i, d in enumerate(joined)])
    factories.settle(a, o)


def goal(a, o, title: str = "More newcomers", start_days_ago: int = 30, target: str = "10",
         due_in_days: int = 60, **data) -> str:
    """A goal on new members (unless told), started `start_days_ago`; answers its public id."""
    today = utcnow().date()
    values = {"title": title, "kpi": "new", "category": "awareness",
              "start_date": (today - timedelta(days=start_days_ago)).isoformat(),
              "targets": [{"value": target, "due": (today + timedelta(days=due_in_days)).isoformat()}], **data}
    with tenant_scope(a.id, o.id), job_session() as s:
        g = service.create(s, o.id, values, ACTOR)
        s.commit()
        return g.public_id
