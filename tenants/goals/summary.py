"""Goals as others read them: the organisation's board (each goal evaluated today), the portfolio's counts of
goals on track / at risk / behind per organisation, and the monthly report's goals at a period's end."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, select, true
from sqlalchemy.orm import Session

from tenants.core.base import utcnow
from tenants.goals import points
from tenants.goals.models import Goal, GoalPoint
from tenants.goals.progress import Evaluation, evaluate, targets_of

COUNTED = ("on_track", "at_risk", "behind")
REPORT_CLOSED_DAYS = 31      # a goal closed within this many days before the period's end is still reported


@dataclass
class GoalView:
    goal: Goal
    now: Evaluation
    points: list

    @property
    def status(self) -> str:
        return self.goal.outcome if self.goal.closed_at is not None else self.now.status


def evaluated(goal: Goal, goal_points: list, day: date) -> Evaluation:
    return evaluate(goal.start_date, goal.baseline, targets_of(goal.targets), goal.direction, goal_points, day)


def board(session: Session, org_id: int, today: date | None = None) -> list[GoalView]:
    """Every goal of the organisation with its evaluation today (points read in one query)."""
    today = today or utcnow().date()
    goals = list(session.scalars(select(Goal).where(Goal.org_id == org_id).order_by(Goal.created_at, Goal.id)))
    found = points.of_goals(session, [g.id for g in goals])
    return [GoalView(g, evaluated(g, found[g.id], today), found[g.id]) for g in goals]


def status_counts(session: Session, org_ids: list[int], today: date | None = None) -> dict[int, dict[str, int]]:
    """{org_id: {"on_track": n, "at_risk": n, "behind": n}} over the open goals of the organisations, in one
    query (each goal with its latest point)."""
    today = today or utcnow().date()
    out = {o: dict.fromkeys(COUNTED, 0) for o in org_ids}
    if not org_ids:
        return out
    last = (select(GoalPoint.day, GoalPoint.value)
            .where(GoalPoint.goal_id == Goal.id, GoalPoint.value.is_not(None), GoalPoint.day <= today)
            .order_by(GoalPoint.day.desc()).limit(1).lateral("last"))
    rows = session.execute(
        select(Goal.org_id, Goal.start_date, Goal.baseline, Goal.targets, Goal.direction, last.c.day, last.c.value)
        .outerjoin(last, true()).where(Goal.org_id.in_(org_ids), Goal.closed_at.is_(None)))
    for org_id, start, baseline, targets, direction, day, value in rows:
        found = [(day, value)] if day is not None else []
        status = evaluate(start, baseline, targets_of(targets), direction, found, today).status
        if status in COUNTED:
            out[org_id][status] += 1
    return out


def for_report(session: Session, org_id: int, period_end: date) -> list[dict]:
    """The goals a report for a period ending `period_end` shows: started by then and open at its end (or closed
    in the month before it), each with its KPI, baseline, target, current value, progress and status on that day."""
    closed_since = period_end - timedelta(days=REPORT_CLOSED_DAYS)
    goals = list(session.scalars(select(Goal).where(
        Goal.org_id == org_id, Goal.start_date <= period_end,
        Goal.closed_at.is_(None) | and_(Goal.closed_at.is_not(None), Goal.closed_at >= closed_since))
        .order_by(Goal.created_at, Goal.id)))
    found = points.of_goals(session, [g.id for g in goals], until=period_end)
    out = []
    for g in goals:
        now = evaluated(g, found[g.id], period_end)
        closed = g.closed_at is not None and g.closed_at.date() <= period_end
        out.append({"public_id": g.public_id, "title": g.title, "kpi": g.kpi, "segment": g.segment_name,
                    "direction": g.direction, "baseline": g.baseline,
                    "target": None if now.target is None else now.target.value,
                    "due": None if now.target is None else now.target.due, "current": now.current,
                    "progress": now.progress, "expected": now.expected,
                    "status": g.outcome if closed else now.status})
    return out


def board_one(session: Session, goal: Goal, today: date | None = None) -> GoalView:
    """One goal with its points and its evaluation today."""
    found = points.of_goal(session, goal.id)
    return GoalView(goal, evaluated(goal, found, today or utcnow().date()), found)
