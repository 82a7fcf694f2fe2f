"""Demo goals: three per organisation, drawn against the community's own figures so that one is on track and one
behind whatever the year looks like, with their daily points from the start. Loaded again (another day), the demo's
goals are made again."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tenants import kpis
from tenants.core.audit import Actor
from tenants.goals import service
from tenants.goals.models import Goal

ON_TRACK = (("more_watchers", "active_30d", "observation"), ("more_advocates", "loyal_advocates", "influence"),
            ("grow_members", "members", "awareness"), ("more_newcomers", "new", "awareness"))
TITLES = {"more_watchers": "More people following along", "more_advocates": "More loyal members and advocates",
          "grow_members": "Grow the community", "more_newcomers": "More newcomers each month",
          "better_nps": "Raise NPS", "keep_loyal": "Keep the loyal ones from drifting away"}


def _goal(session: Session, org_id: int, today: date, template: str, kpi: str, category: str, start: date,
          target: float, due: date, owner: int | None, actor: Actor, direction: int = 1) -> Goal:
    return service.create(session, org_id, {
        "title": TITLES[template], "kpi": kpi, "category": category, "template": template,
        "direction": str(direction), "start_date": start.isoformat(),
        "description": f"{TITLES[template]}: from the baseline on {start.isoformat()} to {target:g} by "
                       f"{due.isoformat()}.",
        "targets": [{"value": round(target, 1), "due": due.isoformat()}],
        "owner": owner}, actor, today=today)


def seed_goals(session: Session, org_id: int, today: date, owner: str | None, actor: Actor) -> int:
    """The organisation's demo goals as of `today` (those of an earlier load replaced); answers how many."""
    session.execute(delete(Goal).where(Goal.org_id == org_id, Goal.template.in_(TITLES)))
    made = 0
    start, due = today - timedelta(days=60), today + timedelta(days=60)
    for template, kpi, category in ON_TRACK:            # on track: the first KPI that grew since the start
        base, now = (kpis.at(session, org_id, kpi, d, today=today) for d in (start, today))
        if base is not None and now is not None and now > base:
            # half the time gone: a target twice the growth so far is exactly the pace; a little above it
            _goal(session, org_id, today, template, kpi, category, start, base + (now - base) * 2.2, due, owner, actor)
            made += 1
            break
    start, due = today - timedelta(days=75), today + timedelta(days=15)
    base = kpis.at(session, org_id, "nps", start, today=today)
    if base is not None:                                 # behind: a big jump in NPS with little time left
        _goal(session, org_id, today, "better_nps", "nps", "ideas", start, min(100.0, base + 40), due, owner, actor)
        made += 1
    start, due = today - timedelta(days=30), today + timedelta(days=150)
    base = kpis.at(session, org_id, "at_risk_share", start, today=today)
    if base is not None and base > 0:
        _goal(session, org_id, today, "keep_loyal", "at_risk_share", "loyalty", start, round(base / 2, 1), due,
              owner, actor, direction=-1)
        made += 1
    session.flush()
    return made


def owner_of(session: Session, user_id: int) -> str | None:
    from tenants.accounts.models import User
    return session.scalar(select(User.public_id).where(User.id == user_id))
