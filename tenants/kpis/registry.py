"""The KPI registry. Each KPI has a code, a unit, a direction, a kind and a definition in words, and one way of
being computed for a period and an optional scope (a segment's members).

Kinds:
- "period": counted over the period (active members, new, NPS...).
- "level": the state at the period's end (members, loyal and advocates, at-risk share...). A level in the past
  is read from the day's stored snapshot (org_day, segment_day, the leader history); "no data" (None) where
  none was stored, never a zero.

Units: "count", "percent" (0-100, one decimal) or "score" (NPS, -100..100). Staff and bots never count.
The translated name and one-line explanation of each code are in web/labels.py (KPI_NAMES, KPI_HINTS).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from tenants.core.base import utcnow
from tenants.kpis import figures
from tenants.metrics.dashboard import Period

GOOD_UP, GOOD_DOWN = 1, -1


@dataclass(frozen=True)
class Kpi:
    code: str
    unit: str               # count | percent | score
    kind: str               # period | level
    direction: int          # GOOD_UP: higher is better; GOOD_DOWN: lower is better
    definition: str
    scopable: bool = True   # can be computed over a segment's members


KPIS: dict[str, Kpi] = {k.code: k for k in (
    Kpi("members", "count", "level", GOOD_UP, "People in the community (staff and bots left out) at the end."),
    Kpi("active_7d", "count", "level", GOOD_UP, "Members who did anything in the 7 days up to the end."),
    Kpi("active_30d", "count", "level", GOOD_UP, "Members who did anything in the 30 days up to the end."),
    Kpi("active", "count", "period", GOOD_UP, "Members who did anything in the period."),
    Kpi("new", "count", "period", GOOD_UP, "Members first seen in the period."),
    Kpi("returning", "count", "period", GOOD_UP,
        "Members active in the period after a whole previous period without activity."),
    Kpi("activities", "count", "period", GOOD_UP, "Actions members took in the period (messages, replies...)."),
    Kpi("churned", "count", "period", GOOD_DOWN,
        "Members active in the previous period and not in this one."),
    Kpi("stickiness", "percent", "period", GOOD_UP,
        "Daily active members as a share of the 30-day active members, averaged over the period's days.",
        scopable=False),
    Kpi("loyal_advocates", "count", "level", GOOD_UP, "Members at the loyal or advocate stage at the end."),
    Kpi("at_risk_share", "percent", "level", GOOD_DOWN,
        "Share of members whose activity dropped sharply against their own habit, at the end."),
    Kpi("nps", "score", "period", GOOD_UP,
        "Net Promoter Score of the period's survey answers (promoters minus detractors, in points)."),
    Kpi("attendance_rate", "percent", "period", GOOD_UP,
        "Registrants who came, over the events held in the period.", scopable=False),
    Kpi("repeat_attendance", "percent", "period", GOOD_UP,
        "Of the members who attended an event held in the period, those who attended two or more.",
        scopable=False),
    Kpi("active_leaders", "count", "level", GOOD_UP, "Opinion leaders in the active status at the end.",
        scopable=False),
    Kpi("segment_size", "count", "level", GOOD_UP, "Members in the segment at the end (needs a segment)."),
)}
CODES: tuple[str, ...] = tuple(KPIS)
TRAILING_DAYS = 30          # a period KPI measured on one day covers the 30 days ending it


def trailing(day: date, days: int = TRAILING_DAYS) -> Period:
    return Period(day - timedelta(days=days - 1), day)


def at(session: Session, org_id: int, code: str, day: date, segment=None, today: date | None = None) -> float | None:
    """One KPI on a day: a level at the day's end, a period KPI over the 30 days ending it."""
    return compute(session, org_id, trailing(day), (code,), segment, today)[code]


def compute(session: Session, org_id: int, p: Period, codes: tuple[str, ...] = CODES,
            segment=None, today: date | None = None) -> dict[str, float | None]:
    """The KPIs named by `codes` for the period, over the segment's members when a segment is given (a KPI that
    cannot be scoped is None then; segment_size is None without a segment). `today` (default: the UTC date) is
    the day from which levels are read live rather than from the stored snapshots."""
    unknown = set(codes) - set(KPIS)
    if unknown:
        raise KeyError(", ".join(sorted(unknown)))
    ctx = figures.Context(session, org_id, p, segment, today=today or utcnow().date())
    out: dict[str, float | None] = {}
    for code in codes:
        kpi = KPIS[code]
        if segment is not None and not kpi.scopable:
            out[code] = None
        else:
            out[code] = figures.value(ctx, code)
    return out

