"""A hand-made organisation for event tests: members Ann, Bob, Cat, Dan, Eve (Telegram), and an event."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tenants.community.models import Member
from tenants.community.validate import ActivityIn, IdentityRef
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.events import events
from tests.support import factories

ACTOR = Actor(email="t@acme.test")
NAMES = ("ann", "bob", "cat", "dan", "eve")


def people(a, o, names=NAMES) -> dict[str, int]:
    """One message each, 20 days ago; scored. Answers member ids by name."""
    when = utcnow() - timedelta(days=20)
    factories.ingest_into(a, o, [ActivityIn(member=IdentityRef("telegram", n, display_name=n.title()), type="message",
                                            occurred_at=when, source_id=f"hello-{n}", channel="telegram")
                                 for n in names])
    factories.settle(a, o)
    with tenant_scope(a.id, o.id), job_session() as s:
        return {m.display_name.lower(): m.id for m in s.scalars(select(Member).where(Member.org_id == o.id))}


def event(a, o, **data) -> str:
    """An event tomorrow evening (Moscow time) unless told; answers its public id."""
    start = (utcnow() + timedelta(days=1)).replace(tzinfo=None, microsecond=0)
    values = {"title": "Meet-up", "format": "offline", "timezone": "Europe/Moscow",
              "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(), **data}
    with tenant_scope(a.id, o.id), job_session() as s:
        e, _created = events.create(s, o.id, values, ACTOR)
        s.commit()
        return e.public_id
