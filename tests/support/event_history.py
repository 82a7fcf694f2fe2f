"""Hand-made event histories with known answers for the event report, the effect on loyalty and the forecast:
members with messages on chosen days, past events on chosen days, registrations and check-ins at noon UTC."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from tenants.community.models import Member
from tenants.community.validate import ActivityIn, IdentityRef
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.events import events
from tenants.events import registrations as regs
from tests.support import factories
from tests.support.events import ACTOR

TODAY = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


def noon(days_ago: int) -> datetime:
    return TODAY - timedelta(days=days_ago) + timedelta(hours=12)


def members(a, o, messages: dict[str, list[int]]) -> dict[str, int]:
    """Members by name, each with a message at noon on each of the given days ago; scored."""
    factories.ingest_into(a, o, [ActivityIn(IdentityRef("telegram", name, display_name=name), "message", noon(d),
                                            f"msg-{name}-{i}", "telegram")
                                 for name, days in messages.items() for i, d in enumerate(days)])
    factories.settle(a, o)
    with tenant_scope(a.id, o.id), job_session() as s:
        return {m.display_name: m.id for m in s.scalars(select(Member).where(Member.org_id == o.id))}


def past_event(a, o, days_ago: int, ids: dict[str, int], registered=(), came=(), walk_ins=(),
               registered_days_before: int = 7, survey: dict[str, int] | None = None, title: str = "Meet-up") -> str:
    """An event at noon UTC `days_ago` days ago (two hours long): registrations `registered_days_before` days
    before it, check-ins at its start, walk-ins, survey answers {name: score} (sent to every attendee)."""
    start = noon(days_ago)
    with tenant_scope(a.id, o.id), job_session() as s:
        e, _ = events.create(s, o.id, {"title": title, "timezone": "UTC", "starts_at": start.isoformat(),
                                       "ends_at": (start + timedelta(hours=2)).isoformat()}, ACTOR)
        for name in registered:
            regs.register(s, e, ids[name], "manual", ACTOR, at=start - timedelta(days=registered_days_before))
        for name in (*came, *walk_ins):
            reg, _outcome = regs.check_in(s, e, ids[name], ACTOR, at=start)
            if survey is not None:
                reg.survey_sent_at = start + timedelta(hours=3)
                if name in survey:
                    reg.survey_score = survey[name]
                    reg.survey_answered_at = start + timedelta(hours=5)
        s.commit()
        pid = e.public_id
    factories.settle(a, o)
    return pid


def upcoming_event(a, o, days_ahead: int, ids: dict[str, int], registered=()) -> str:
    start = TODAY + timedelta(days=days_ahead, hours=12)
    with tenant_scope(a.id, o.id), job_session() as s:
        e, _ = events.create(s, o.id, {"title": "Next", "timezone": "UTC", "starts_at": start.isoformat(),
                                       "ends_at": (start + timedelta(hours=2)).isoformat()}, ACTOR)
        for name in registered:
            regs.register(s, e, ids[name], "manual", ACTOR)
        s.commit()
        return e.public_id
