"""The goal form: what was posted (kept as typed, to show again beside the errors), the data the domain checks,
a template's pre-filled values, and the domain's refusal as {input: message}."""
from __future__ import annotations

from flask import request

from tenants.core.base import utcnow
from tenants.goals.catalogue import TEMPLATES
from tenants.goals.models import MAX_TARGETS, Goal
from tenants.goals.service import GoalError
from tenants.kpis import KPIS

from ..labels import GOAL_TEMPLATES, domain_message

FIELDS = ("title", "description", "category", "kpi", "direction", "segment", "start_date", "owner", "targets",
          "template", "note")


def blank(owner: str = "") -> dict:
    return {"title": "", "description": "", "category": "", "kpi": "", "direction": "", "segment": "",
            "start_date": utcnow().date().isoformat(), "owner": owner, "template": "",
            "targets": [{"value": "", "due": ""}]}


def from_template(code: str, owner: str = "") -> dict:
    values = blank(owner)
    t = TEMPLATES.get(code)
    if t is not None:
        title, description = GOAL_TEMPLATES[code]
        values.update(title=str(title), description=str(description), category=t.category, kpi=t.kpi,
                      direction=str(t.direction), template=code)
    return values


def posted() -> dict:
    f = request.form
    targets = [{"value": v.strip(), "due": d.strip()}
               for v, d in zip(f.getlist("target_value"), f.getlist("target_due"), strict=False)]
    targets = [t for t in targets if t["value"] or t["due"]] or [{"value": "", "due": ""}]
    if "add_target" in f and len(targets) < MAX_TARGETS:
        targets.append({"value": "", "due": ""})
    values = {k: (f.get(k) or "").strip() if k != "description" else f.get(k) or ""
              for k in FIELDS if k not in ("targets", "note")}
    values["targets"] = targets
    if values["kpi"] in KPIS and not values["direction"]:
        values["direction"] = str(KPIS[values["kpi"]].direction)
    return values


def of_goal(goal: Goal, segment: str, owner: str) -> dict:
    return {"title": goal.title, "description": goal.description, "category": goal.category, "kpi": goal.kpi,
            "direction": str(goal.direction), "segment": segment, "start_date": goal.start_date.isoformat(),
            "owner": owner, "template": goal.template or "",
            "targets": [{"value": f"{t['value']:g}", "due": t["due"]} for t in goal.targets]}


def error(exc: GoalError) -> dict[str, str]:
    where = exc.where if exc.where in FIELDS else "title"
    return {where: domain_message(exc.template, exc.params)}

