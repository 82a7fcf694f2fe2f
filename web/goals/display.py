"""How the goal pages show figures: a KPI's value in its unit and the reader's locale, and the chart's series (the
daily points, the target line along the even pace, the projection to the due date)."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import format_decimal, gettext

from tenants.goals.progress import Target, projection
from tenants.kpis import KPIS

from ..labels import GOAL_STATUSES, kpi_name


def kpi_value(code: str, value: float | None) -> str:
    """"—" for no data; counts whole, percentages with one decimal and a percent sign, NPS signed."""
    if value is None:
        return "—"
    unit = KPIS[code].unit if code in KPIS else "count"
    if unit == "percent":
        return format_decimal(value, "#,##0.0") + "\u00a0%"
    if unit == "score":
        return format_decimal(value, "+#,##0;-#,##0")
    return format_decimal(value, "#,##0.#")


def pace(start: date, baseline: float, targets: list[Target], day: date) -> float | None:
    """The even pace's value on `day` (None outside start … last due date)."""
    since, level = start, baseline
    for t in targets:
        if day <= t.due:
            span = (t.due - since).days
            share = 1.0 if span <= 0 else (day - since).days / span
            return None if share < 0 else round(level + (t.value - level) * share, 2)
        since, level = t.due, t.value
    return None


def chart(goal, targets: list[Target], points: list, today: date) -> dict:
    """One label per day from the start to the last due date (or the last point), and the series on them."""
    last = max([t.due for t in targets] + [d for d, _v in points] + [today])
    days = [goal.start_date + timedelta(days=i) for i in range((last - goal.start_date).days + 1)]
    values = dict(points)
    due = next((t.due for t in targets if t.due >= today), targets[-1].due if targets else today)
    line = dict(projection(points, due)) if not goal.closed_at else {}
    if len(line) == 2:
        (a, va), (b, vb) = sorted(line.items())
        line = {d: round(va + (vb - va) * (d - a).days / (b - a).days, 2) for d in days if a <= d <= b}
    return {
        "labels": [d.isoformat() for d in days],
        "current": [values.get(d) for d in days],
        "target": [None if goal.baseline is None else pace(goal.start_date, goal.baseline, targets, d) for d in days],
        "projection": [line.get(d) for d in days],
        "unit": KPIS[goal.kpi].unit,
        "text": {"current": kpi_name(goal.kpi), "target": gettext("Target line (even pace)"),
                 "projection": gettext("projection")},
    }


def status_label(code: str | None) -> str:
    return str(GOAL_STATUSES.get(code or "", code or ""))


def projected_at(points: list, targets: list[Target], today: date) -> tuple[date, float] | None:
    """The projection's value on the current target's due date."""
    if not targets:
        return None
    due = next((t.due for t in targets if t.due >= today), None)
    line = projection(points, due) if due else []
    return line[-1] if line else None
