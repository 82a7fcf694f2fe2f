"""A hand-made reply graph for the leader tests, with answers known in advance.

Star posts twice a week for six weeks (12 posts) and answers three fans; 41 fans reply to Star once each; a
bot replies to Star too (left out of every count). Second posts eight times and is answered by 8 fans. Kept
and Gone (an existing leader, a dismissed member) and Boss (staff) are answered by fans as well. Everyone's
activity falls in the last 90 days, dated from `now`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from tenants import scoring
from tenants.community import profile
from tenants.community.models import Member
from tenants.community.validate import ActivityIn, IdentityRef
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tests.support import factories

FANS = 41


def act(who: str, kind: str, when: datetime, source: str, target: str | None = None) -> ActivityIn:
    return ActivityIn(member=IdentityRef("telegram", who, display_name=who.title()), type=kind, occurred_at=when,
                      source_id=source, channel="telegram",
                      target=IdentityRef("telegram", target, display_name=target.title()) if target else None)


def _poster(name: str, posts: int, now: datetime) -> list[ActivityIn]:
    """`posts` posts, two a week from six weeks ago: active in at least two of the last eight weeks."""
    return [act(name, "post", now - timedelta(days=42 - 3.5 * i, hours=1), f"{name}-post-{i}") for i in range(posts)]


def graph(now: datetime) -> list[ActivityIn]:
    items = _poster("star", 12, now) + _poster("second", 8, now)
    for name in ("kept", "gone", "boss"):
        items += _poster(name, 6, now)
    for i in range(FANS):
        items.append(act(f"fan{i}", "reply", now - timedelta(days=1 + i % 30), f"fan{i}-star", target="star"))
    for i in range(8):
        items.append(act(f"fan{i}", "reaction", now - timedelta(days=2 + i), f"fan{i}-second", target="second"))
        for name in ("kept", "gone", "boss"):
            items.append(act(f"fan{i}", "reply", now - timedelta(days=3 + i), f"fan{i}-{name}", target=name))
    items.append(act("robot", "reply", now - timedelta(days=2), "robot-star", target="star"))
    for i in range(3):
        items.append(act("star", "reply", now - timedelta(days=4 + i), f"star-fan{i}", target=f"fan{i}"))
    return items


@dataclass
class World:
    a: factories.Agency
    o: object
    ids: dict[str, int]      # member id by name
    now: datetime


def build(name: str = "Acme", email: str = "o@acme.test", org: str = "Coffee") -> World:
    """The graph ingested and scored (full recompute: stages and influence), Robot marked a bot, Boss staff."""
    a = factories.agency(name, email)
    o = factories.org(a, org)
    now = utcnow()
    factories.ingest_into(a, o, graph(now))
    with tenant_scope(a.id, o.id), job_session() as s:
        ids = {m.display_name.lower(): m.id for m in s.scalars(select(Member).where(Member.org_id == o.id))}
        profile.set_flag(s, [ids["robot"]], "is_bot", True)
        profile.set_flag(s, [ids["boss"]], "is_staff", True)
        s.flush()
        scoring.full(s, o.id)
    return World(a, o, ids, now)
