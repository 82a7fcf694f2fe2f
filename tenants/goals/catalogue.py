"""Goal templates, grouped by category (the five elements of engagement, then the purposes). Each pre-fills the
KPI, the direction and a SMART description; web/labels.py gives each code its title and description in the
reader's language."""
from __future__ import annotations

from dataclasses import dataclass

from tenants.goals.models import CATEGORIES
from tenants.kpis import KPIS


@dataclass(frozen=True)
class Template:
    code: str
    category: str
    kpi: str
    direction: int = 1


TEMPLATES: dict[str, Template] = {t.code: t for t in (
    Template("grow_members", "awareness", "members"),
    Template("more_newcomers", "awareness", "new"),
    Template("more_watchers", "observation", "active_30d"),
    Template("weekly_regulars", "observation", "active_7d"),
    Template("more_contributors", "ideas", "active"),
    Template("better_nps", "ideas", "nps"),
    Template("stickier", "interaction", "stickiness"),
    Template("event_turnout", "interaction", "attendance_rate"),
    Template("active_leaders", "influence", "active_leaders"),
    Template("more_advocates", "influence", "loyal_advocates"),
    Template("word_of_mouth_advocates", "word_of_mouth", "loyal_advocates"),
    Template("word_of_mouth_nps", "word_of_mouth", "nps"),
    Template("warm_segment", "warming", "segment_size"),
    Template("warm_returning", "warming", "returning"),
    Template("keep_loyal", "loyalty", "at_risk_share", -1),
    Template("less_churn", "loyalty", "churned", -1),
    Template("repeat_visits", "loyalty", "repeat_attendance"),
)}

assert all(t.category in CATEGORIES and t.kpi in KPIS and KPIS[t.kpi].direction == t.direction  # noqa: S101
           for t in TEMPLATES.values())


def by_category() -> list[tuple[str, list[Template]]]:
    """The templates grouped by category, in the categories' order."""
    return [(c, [t for t in TEMPLATES.values() if t.category == c]) for c in CATEGORIES
            if any(t.category == c for t in TEMPLATES.values())]
