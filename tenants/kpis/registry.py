"""The KPI registry. Each KPI has a code, a unit, a direction, a kind and a definition in words, and one way of
being computed for a period and an optional scope (a segment's members).

Kinds:
- "period": counted over the period (active members, new, NPS...).
- "level": the state at the period's end (members, loyal and advocates, at-risk share...). A level in the past
  is read from the day's stored snapshot (org_day, segment_day, the leader history); without one, members are
  counted by their first-seen dates and loyal and advocates from the month-end stages (on a month's last day);
  anything else is "no data" (None), never a zero.

Units: "count", "percent" (0-100, one decimal) or "score" (NPS, -100..100). Staff and bots never count.
Each KPI's name and one-line explanation are msgids, translated where they are shown (pages, mails, PDFs).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from tenants.core.base import utcnow
from tenants.kpis import figures
from tenants.metrics.dashboard import Period

GOOD_UP, GOOD_DOWN = 1, -1


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; the web layer and the mail translate it where it is shown."""
    return msgid


@dataclass(frozen=True)
class Kpi:
    code: str
    unit: str               # count | percent | score
    kind: str               # period | level
    direction: int          # GOOD_UP: higher is better; GOOD_DOWN: lower is better
    name: str               # gettext msgids: the name, and a one-line explanation in plain words
    hint: str
    definition: str         # the precise definition, for the API and the docs
    scopable: bool = True   # can be computed over a segment's members


KPIS: dict[str, Kpi] = {k.code: k for k in (
    Kpi("members", "count", "level", GOOD_UP, N_("Members"),
        N_("People in the community; your own team and bots are not counted."),
        "People in the community (staff and bots left out) at the end."),
    Kpi("active_7d", "count", "level", GOOD_UP, N_("Active this week"),
        N_("People who posted, replied, reacted or came to something in the last 7 days."),
        "Members who did anything in the 7 days up to the end."),
    Kpi("active_30d", "count", "level", GOOD_UP, N_("Active this month"),
        N_("People who posted, replied, reacted or came to something in the last 30 days."),
        "Members who did anything in the 30 days up to the end."),
    Kpi("active", "count", "period", GOOD_UP, N_("Active members"),
        N_("People who did anything at all in the period."),
        "Members who did anything in the period."),
    Kpi("new", "count", "period", GOOD_UP, N_("New members"),
        N_("People who showed up for the first time in the period."),
        "Members first seen in the period."),
    Kpi("returning", "count", "period", GOOD_UP, N_("Returning"),
        N_("People who came back after a whole period of silence."),
        "Members active in the period after a whole previous period without activity."),
    Kpi("activities", "count", "period", GOOD_UP, N_("Activities"),
        N_("Everything people did: messages, replies, reactions, visits, answers."),
        "Actions members took in the period (messages, replies...)."),
    Kpi("churned", "count", "period", GOOD_DOWN, N_("Churned"),
        N_("People active in the period before who went silent in this one."),
        "Members active in the previous period and not in this one."),
    Kpi("stickiness", "percent", "period", GOOD_UP, N_("Daily engagement"),
        N_("On an average day, the share of the month's active people who showed up."),
        "Daily active members as a share of the 30-day active members, averaged over the period's days.",
        scopable=False),
    Kpi("loyal_advocates", "count", "level", GOOD_UP, N_("Loyal and advocates"),
        N_("People who take part steadily, and those who also bring others in."),
        "Members at the loyal or advocate stage at the end."),
    Kpi("at_risk_share", "percent", "level", GOOD_DOWN, N_("At risk"),
        N_("Share of people who have gone much quieter than is usual for them."),
        "Share of members whose activity dropped sharply against their own habit, at the end."),
    Kpi("nps", "score", "period", GOOD_UP, N_("NPS"),
        N_("How likely people are to recommend you: promoters minus detractors, from −100 to +100."),
        "Net Promoter Score of the period's survey answers (promoters minus detractors, in points)."),
    Kpi("attendance_rate", "percent", "period", GOOD_UP, N_("Attendance rate"),
        N_("Of the people who registered for events, the share who came."),
        "Registrants who came, over the events held in the period.", scopable=False),
    Kpi("repeat_attendance", "percent", "period", GOOD_UP, N_("Repeat attendance"),
        N_("Of the people who came to an event, the share who came to two or more."),
        "Of the members who attended an event held in the period, those who attended two or more.",
        scopable=False),
    Kpi("active_leaders", "count", "level", GOOD_UP, N_("Active opinion leaders"),
        N_("Opinion leaders you are working with right now."),
        "Opinion leaders in the active status at the end.", scopable=False),
    Kpi("segment_size", "count", "level", GOOD_UP, N_("Segment size"),
        N_("People in the chosen segment."),
        "Members in the segment at the end (needs a segment)."),
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

