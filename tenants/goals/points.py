"""Daily points: the goal's KPI on each day, read through the KPI registry. The metrics job records every open
goal's point of the day (`record_points`); a goal created with a start in the past gets its points from the start
to today at once (`backfill`). The baseline is the KPI on the start date (the first later day with a value when
the stored figures hold none for it), taken when a point for the start date or later is first recorded."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tenants import kpis
from tenants.core.base import utcnow
from tenants.goals.models import Goal, GoalPoint
from tenants.segments.models import Segment

BACKFILL_DAYS = 400          # a goal's start is at most this many days back, so its backfill is bounded


def _segment(session: Session, goal: Goal) -> Segment | None:
    return None if goal.segment_id is None else session.get(Segment, goal.segment_id)


def _write(session: Session, goal: Goal, values: dict[date, float | None]) -> None:
    if not values:
        return
    rows = [{"agency_id": goal.agency_id, "org_id": goal.org_id, "goal_id": goal.id, "day": d, "value": v}
            for d, v in values.items()]
    stmt = insert(GoalPoint.__table__).values(rows)
    session.execute(stmt.on_conflict_do_update(index_elements=["goal_id", "day"], set_={"value": stmt.excluded.value}))


def _take_baseline(session: Session, goal: Goal, values: dict[date, float | None], today: date) -> None:
    """The KPI on the start date; failing that, the first recorded day after it with a value."""
    if goal.baseline is not None or goal.start_date > today:
        return
    first = values.get(goal.start_date)
    if first is None and goal.start_date not in values:
        first = kpis.at(session, goal.org_id, goal.kpi, goal.start_date, _segment(session, goal),
                        today=max(today, utcnow().date()))
    if first is not None:
        goal.baseline, goal.baseline_on = first, goal.start_date
        return
    later = sorted((d, v) for d, v in values.items() if v is not None and d >= goal.start_date)
    if later:
        goal.baseline, goal.baseline_on = later[0][1], later[0][0]


def backfill(session: Session, goal: Goal, today: date | None = None) -> int:
    """The goal's points from its start (at most BACKFILL_DAYS back) to today, and its baseline; answers how many
    days were recorded. Re-running overwrites the same days."""
    today = today or utcnow().date()
    if goal.start_date > today or goal.scope_lost:
        return 0
    first = max(goal.start_date, today - timedelta(days=BACKFILL_DAYS - 1))
    segment = _segment(session, goal)
    values = {}
    day = first
    while day <= today:
        values[day] = kpis.at(session, goal.org_id, goal.kpi, day, segment, today=today)
        day += timedelta(days=1)
    _write(session, goal, values)
    _take_baseline(session, goal, values, today)
    return len(values)


def forget(session: Session, goal: Goal) -> None:
    """Drop the points and the baseline (the goal's KPI, scope or start changed)."""
    session.execute(delete(GoalPoint).where(GoalPoint.goal_id == goal.id))
    goal.baseline = goal.baseline_on = None


def record_points(session: Session, org_id: int, day: date | None = None) -> int:
    """Each open goal's point for `day` (default today, UTC) and the baseline of goals starting that day; the
    metrics job calls it once a day after the rollup. Goals of one scope are computed together. Answers how many
    points were written; recording the same day again overwrites them."""
    day = day or utcnow().date()
    goals = list(session.scalars(select(Goal).where(Goal.org_id == org_id, Goal.closed_at.is_(None),
                                                    Goal.start_date <= day).order_by(Goal.id)))
    by_scope: dict[int | None, list[Goal]] = {}
    for g in goals:
        if not g.scope_lost:
            by_scope.setdefault(g.segment_id, []).append(g)
    written = 0
    for segment_id, group in by_scope.items():
        segment = None if segment_id is None else session.get(Segment, segment_id)
        codes = tuple(dict.fromkeys(g.kpi for g in group))
        values = kpis.compute(session, org_id, kpis.trailing(day), codes, segment, today=max(day, utcnow().date()))
        for g in group:
            _write(session, g, {day: values[g.kpi]})
            _take_baseline(session, g, {day: values[g.kpi]}, day)
            written += 1
    session.flush()
    return written


def of_goal(session: Session, goal_id: int) -> list[tuple[date, float | None]]:
    return [(p.day, p.value) for p in session.scalars(
        select(GoalPoint).where(GoalPoint.goal_id == goal_id).order_by(GoalPoint.day))]


def of_goals(session: Session, goal_ids: list[int], until: date | None = None) -> dict[int, list]:
    """Each goal's points (up to `until`), in one query."""
    out: dict[int, list] = {g: [] for g in goal_ids}
    if not goal_ids:
        return out
    stmt = select(GoalPoint.goal_id, GoalPoint.day, GoalPoint.value).where(GoalPoint.goal_id.in_(goal_ids))
    if until is not None:
        stmt = stmt.where(GoalPoint.day <= until)
    for goal_id, day, value in session.execute(stmt.order_by(GoalPoint.goal_id, GoalPoint.day)):
        out[goal_id].append((day, value))
    return out
