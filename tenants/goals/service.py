"""Goals of one organisation: create, edit (targets included), close, reopen and delete, each audited. The KPI
comes from the registry; a scope is a segment of the same organisation, for KPIs that can be scoped."""
from __future__ import annotations

import math
import re
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenants import kpis
from tenants.accounts.models import User
from tenants.core import audit
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.errors import DomainError
from tenants.core.sql import storable
from tenants.goals import points
from tenants.goals.catalogue import TEMPLATES
from tenants.goals.models import CATEGORIES, MAX_TARGETS, Goal
from tenants.goals.progress import Target, evaluate, reached, stored, targets_of
from tenants.leaders.leaders import staff
from tenants.segments.models import Segment

MAX_AHEAD_DAYS = 3 * 366         # a start or due date at most three years ahead
MIN_NOTE = 10                    # characters of "what happened, why, what next" when closing a missed goal
RANGES = {"percent": (0.0, 100.0), "score": (-100.0, 100.0), "count": (0.0, 1e9)}
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


class GoalError(DomainError):
    """A refusal naming the bad input (`where`: title, kpi, segment, start_date, targets, owner, note...)."""

    def __init__(self, template: str, where: str = "title", **params) -> None:
        super().__init__(template, **params)
        self.where = where


def _text(data: dict, name: str, most: int, required: bool = False) -> str:
    value = data.get(name) or ""
    if not isinstance(value, str) or not storable(value):
        raise GoalError("This must be a plain text.", name)
    value = value.strip()
    if required and not value:
        raise GoalError("Give the goal a title.", name) if name == "title" else GoalError("This is required.", name)
    if len(value) > most:
        raise GoalError("At most %(n)s characters.", name, n=most)
    return value


def parse_day(value, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        day = date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise GoalError("Give a date as YYYY-MM-DD.", where) from None
    if not date(2000, 1, 1) <= day <= utcnow().date() + timedelta(days=MAX_AHEAD_DAYS):
        raise GoalError("Give a date from 2000 up to three years ahead.", where)
    return day


def parse_number(value, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        raw = str(value or "").strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        if not NUMBER.match(raw):
            raise GoalError("Give the target as a number.", where)
        number = float(raw)
    if not math.isfinite(number):
        raise GoalError("Give the target as a number.", where)
    return number


def _targets(data: dict, kpi: str, start: date) -> list[Target]:
    raw = [t for t in data.get("targets") or [] if str(t.get("value", "")).strip() or str(t.get("due", "")).strip()]
    if not raw:
        raise GoalError("Give at least one target with its due date.", "targets")
    if len(raw) > MAX_TARGETS:
        raise GoalError("At most %(n)s targets.", "targets", n=MAX_TARGETS)
    low, high = RANGES[kpis.KPIS[kpi].unit]
    found = []
    for t in raw:
        value, due = parse_number(t.get("value"), "targets"), parse_day(t.get("due"), "targets")
        if not low <= value <= high:
            raise GoalError("A target for this KPI lies between %(low)s and %(high)s.", "targets",
                            low=f"{low:g}", high=f"{high:g}")
        if due <= start:
            raise GoalError("Each due date comes after the start date.", "targets")
        found.append(Target(value, due))
    if len({t.due for t in found}) != len(found):
        raise GoalError("Two targets have the same due date.", "targets")
    return sorted(found, key=lambda t: t.due)


def _owner(session: Session, org_id: int, value) -> int | None:
    if not value:
        return None
    found = next((u for u in staff(session, org_id) if u.public_id == value), None)
    if found is None:
        raise GoalError("The owner is someone of the agency who works on this organisation.", "owner")
    return found.id


def _scope(session: Session, org_id: int, kpi: str, value) -> Segment | None:
    segment = None
    if value:
        segment = session.scalar(select(Segment).where(Segment.org_id == org_id, Segment.public_id == str(value)))
        if segment is None:
            raise GoalError("Choose a segment of this organisation.", "segment")
        if not kpis.KPIS[kpi].scopable:
            raise GoalError("This KPI is counted for the whole organisation; it cannot be limited to a segment.",
                            "segment")
    elif kpi == "segment_size":
        raise GoalError("A segment's size needs a segment: choose one.", "segment")
    return segment


def checked(session: Session, org_id: int, data: dict, today: date | None = None) -> dict:
    """The goal's fields from `data` (a form or API body), every one checked; GoalError names the first bad one."""
    today = today or utcnow().date()
    kpi = data.get("kpi")
    if kpi not in kpis.KPIS:
        raise GoalError("Choose a KPI.", "kpi")
    category = data.get("category") or ""
    if category not in CATEGORIES:
        raise GoalError("Choose a category.", "category")
    direction = str(data.get("direction") or kpis.KPIS[kpi].direction)
    if direction not in ("1", "-1"):
        raise GoalError("Choose whether the KPI should go up or down.", "direction")
    start = parse_day(data.get("start_date") or today.isoformat(), "start_date")
    if start < today - timedelta(days=points.BACKFILL_DAYS - 1):
        raise GoalError("The start date is at most %(n)s days back.", "start_date", n=points.BACKFILL_DAYS)
    template = data.get("template") or None
    segment = _scope(session, org_id, kpi, data.get("segment"))
    return {"title": _text(data, "title", 200, required=True), "description": _text(data, "description", 5000),
            "category": category, "kpi": kpi, "direction": int(direction), "start_date": start,
            "segment_id": segment.id if segment else None, "segment_name": segment.name if segment else None,
            "targets": stored(_targets(data, kpi, start)), "owner_id": _owner(session, org_id, data.get("owner")),
            "template": template if template in TEMPLATES else None}


def _check_sides(goal: Goal) -> None:
    """A goal's targets lie on its direction's side of the baseline (a goal to go up does not aim lower)."""
    if goal.baseline is None:
        return
    for t in targets_of(goal.targets):
        if not reached(t.value, goal.baseline, goal.direction):
            if goal.direction > 0:
                raise GoalError("The baseline is %(baseline)s: for the KPI to go up, no target is below it.",
                                "targets", baseline=f"{goal.baseline:g}")
            raise GoalError("The baseline is %(baseline)s: for the KPI to go down, no target is above it.",
                            "targets", baseline=f"{goal.baseline:g}")


def create(session: Session, org_id: int, data: dict, actor: Actor, today: date | None = None) -> Goal:
    """A new goal; with a start today or earlier its baseline and points up to today are read at once."""
    values = checked(session, org_id, data, today)
    goal = Goal(org_id=org_id, created_by_id=actor.user_id, **values)
    session.add(goal)
    session.flush()
    points.backfill(session, goal, today)
    _check_sides(goal)
    audit.record(session, "goal_created", actor, target=goal.title, goal=goal.public_id, kpi=goal.kpi)
    return goal


# Changing one of these re-takes the baseline and the points.
MEANING = ("kpi", "direction", "segment_id", "segment_name", "start_date")


def update(session: Session, goal: Goal, data: dict, actor: Actor, today: date | None = None) -> Goal:
    values = checked(session, goal.org_id, data, today)
    remeasure = any(values[k] != getattr(goal, k) for k in MEANING)
    targets_changed = values["targets"] != goal.targets
    changed = sorted(k for k, v in values.items() if v != getattr(goal, k) and k != "targets")
    for key, value in values.items():
        setattr(goal, key, value)
    goal.updated_at = utcnow()
    if remeasure:
        points.forget(session, goal)
        session.flush()
        points.backfill(session, goal, today)
    _check_sides(goal)
    if changed:
        audit.record(session, "goal_changed", actor, target=goal.title, goal=goal.public_id, fields=changed)
    if targets_changed:
        audit.record(session, "goal_targets_changed", actor, target=goal.title, goal=goal.public_id,
                     targets=goal.targets)
    return goal


def close(session: Session, goal: Goal, note: str, actor: Actor, today: date | None = None) -> Goal:
    """Close the goal with its outcome: achieved (the target reached), missed (every due date passed without it:
    a note of what happened, why and what next is required) or stopped (closed before its due date)."""
    if goal.closed_at is not None:
        raise GoalError("This goal is already closed.", "note")
    today = today or utcnow().date()
    note = _text({"note": note}, "note", 5000)
    now = evaluate(goal.start_date, goal.baseline, targets_of(goal.targets), goal.direction,
                   points.of_goal(session, goal.id), today)
    if now.status == "achieved" or (now.progress is not None and now.progress >= 1):
        outcome = "achieved"
    elif now.target is not None and now.target.due < today:
        outcome = "missed"
        if len(note) < MIN_NOTE:
            raise GoalError("The goal was missed: say in a few words what happened, why, and what comes next.",
                            "note")
    else:
        outcome = "stopped"
    goal.closed_at, goal.outcome, goal.close_note, goal.updated_at = utcnow(), outcome, note, utcnow()
    audit.record(session, "goal_closed", actor, target=goal.title, goal=goal.public_id, outcome=outcome)
    return goal


def reopen(session: Session, goal: Goal, actor: Actor) -> Goal:
    goal.closed_at, goal.outcome, goal.updated_at = None, None, utcnow()
    audit.record(session, "goal_reopened", actor, target=goal.title, goal=goal.public_id)
    return goal


def delete_goal(session: Session, goal: Goal, actor: Actor) -> None:
    audit.record(session, "goal_deleted", actor, target=goal.title, goal=goal.public_id)
    session.delete(goal)


def by_public_id(session: Session, org_id: int, public: str) -> Goal | None:
    return session.scalar(select(Goal).where(Goal.org_id == org_id, Goal.public_id == public))


def of_org(session: Session, org_id: int) -> list[Goal]:
    return list(session.scalars(select(Goal).where(Goal.org_id == org_id).order_by(Goal.created_at, Goal.id)))


def owners(session: Session, goals: list[Goal]) -> dict[int, str]:
    ids = {g.owner_id for g in goals if g.owner_id}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
