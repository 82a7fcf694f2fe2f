"""What the organisation dashboard shows: KPIs for a period beside the previous period, chart series from
the daily rollups, and the member tables. Set-based SQL; staff and bots are left out."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tenants.community.models import Member
from tenants.core.base import utcnow
from tenants.core.days import EPOCH, day_of, midnight
from tenants.metrics.figures import NPS_MIN_ANSWERS, day_data, nps, stickiness
from tenants.scoring.influence import INFLUENCE_DAYS
from tenants.scoring.sql import ELIGIBLE
from tenants.scoring.state import state

FIRST_DAY = date(2000, 1, 1)      # a custom range starts on or after it (as stored activity does)


@dataclass(frozen=True)
class Period:
    start: date      # inclusive
    end: date        # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


def period(days: int | None, start: str | None = None, end: str | None = None, today: date | None = None) -> Period:
    """7, 30 or 90 days ending today, or a custom range (clamped to at most two years)."""
    today = today or utcnow().date()
    custom = custom_range(start, end, today)
    if custom:
        return custom
    days = days if days in (7, 30, 90) else 30
    return Period(today - timedelta(days=days - 1), today)


def custom_range(start: str | None, end: str | None, today: date | None = None) -> Period | None:
    """A custom range from two ISO dates (start ≤ end, not all in the future; at most two years, ending today at
    the latest), or None when it is not one."""
    today = today or utcnow().date()
    try:
        a, b = date.fromisoformat(start or ""), date.fromisoformat(end or "")
    except ValueError:
        return None
    if a > b or a > today or a < FIRST_DAY:        # nothing is stored before FIRST_DAY
        return None
    b = min(b, today)
    return Period(max(a, b - timedelta(days=730)), b)



def cached_kpis(session: Session, org_id: int, p: Period) -> dict | None:
    """KPIs of a preset period ending today, as the last metrics pass stored them (None if it has not)."""
    if p.days not in (7, 30, 90) or p.end != utcnow().date():
        return None
    data = session.scalar(text("SELECT data FROM org_day WHERE org_id = :org AND day = :day"),
                          {"org": org_id, "day": day_of(p.end)})
    if data is None:
        return None
    data = day_data(data)
    cached = (data.get("windows") or {}).get(str(p.days))
    return cached if cached and "returning" in cached["now"] else None     # older passes kept fewer KPIs



def kpis(session: Session, org_id: int, p: Period, days: dict[int, dict] | None = None,
         members: list[int] | None = None) -> dict:
    """The period's KPIs and the previous period's. Active: did anything in the period; new: first seen in it;
    returning: active after a previous period without activity (and seen before it); churned: active in the
    previous period, not in this one; stickiness: mean DAU / MAU; NPS from survey answers. `days` are org_day
    values by day number (read from org_day when not given). With `members` (ids), only those members count and
    stickiness, a whole-community figure, is None."""
    prev = p.previous()
    among = "" if members is None else " AND m.id = ANY(CAST(:ids AS bigint[]))"
    before_prev = prev.previous()
    params = {"org": org_id, "lo0": day_of(before_prev.start), "lo1": day_of(prev.start), "lo2": day_of(p.start),
              "hi": day_of(p.end), "s1": midnight(prev.start), "s2": midnight(p.start),
              "e2": midnight(p.end) + timedelta(days=1), "ids": members}
    row = session.execute(text(f"""
        SELECT sum(x.a2), sum(x.a1),
               sum(CASE WHEN x.a2 = 1 AND x.a1 = 0 AND m.first_seen_at < :s2 THEN 1 ELSE 0 END),
               sum(CASE WHEN x.a1 = 1 AND x.a0 = 0 AND m.first_seen_at < :s1 THEN 1 ELSE 0 END),
               sum(CASE WHEN x.a1 = 1 AND x.a2 = 0 THEN 1 ELSE 0 END),
               sum(CASE WHEN x.a0 = 1 AND x.a1 = 0 THEN 1 ELSE 0 END),
               sum(x.n2), sum(x.n1)
        FROM (SELECT d.member_id,
                     max(CASE WHEN d.day >= :lo2 THEN 1 ELSE 0 END) AS a2,
                     max(CASE WHEN d.day >= :lo1 AND d.day < :lo2 THEN 1 ELSE 0 END) AS a1,
                     max(CASE WHEN d.day < :lo1 THEN 1 ELSE 0 END) AS a0,
                     sum(CASE WHEN d.day >= :lo2 THEN d.n ELSE 0 END) AS n2,
                     sum(CASE WHEN d.day >= :lo1 AND d.day < :lo2 THEN d.n ELSE 0 END) AS n1
              FROM member_day d WHERE d.org_id = :org AND d.day >= :lo0 AND d.day <= :hi
              GROUP BY d.member_id) x
        JOIN member m ON m.id = x.member_id WHERE {ELIGIBLE}{among}"""), params).one()
    new_now, new_before = session.execute(text(f"""
        SELECT sum(CASE WHEN m.first_seen_at >= :s2 THEN 1 ELSE 0 END),
               sum(CASE WHEN m.first_seen_at < :s2 THEN 1 ELSE 0 END)
        FROM member m WHERE {ELIGIBLE}{among} AND m.first_seen_at >= :s1 AND m.first_seen_at < :e2"""),
        params).one()
    if members is not None:
        days = {}
    elif days is None:
        days = {d: day_data(v) for d, v in session.execute(text(
            "SELECT day, data FROM org_day WHERE org_id = :org AND day >= :lo1 AND day <= :hi"), params)}
    figures = [int(v or 0) for v in row]
    return {
        "now": {"active": figures[0], "returning": figures[2], "churned": figures[4], "activities": figures[6],
                "new": new_now or 0, "stickiness": stickiness(days, params["lo2"], params["hi"]),
                "nps": nps(session, org_id, midnight(p.start), midnight(p.end) + timedelta(days=1), members)},
        "before": {"active": figures[1], "returning": figures[3], "churned": figures[5], "activities": figures[7],
                   "new": new_before or 0, "stickiness": stickiness(days, params["lo1"], params["lo2"] - 1),
                   "nps": nps(session, org_id, midnight(prev.start), midnight(p.start), members)},
    }


def change(now: float | None, before: float | None) -> float | None:
    """Percent change against the previous period (None when there is nothing to compare with)."""
    if not before or now is None:
        return None
    return round(100.0 * (now - before) / before, 1)


def series(session: Session, org_id: int, p: Period) -> dict:
    """Chart data from org_day: DAU, WAU and MAU per day, activity by type and by channel, the monthly
    figures (stage distribution and movement, cohorts, NPS) of the latest pass, and the NPS chart's months (see
    nps_by_month)."""
    rows = session.execute(text("SELECT day, data FROM org_day WHERE org_id = :org AND day >= :lo AND day <= :hi "
                                "ORDER BY day"), {"org": org_id, "lo": day_of(p.start), "hi": day_of(p.end)}).all()
    by_day = {d: day_data(v) for d, v in rows}
    days = list(range(day_of(p.start), day_of(p.end) + 1))
    labels = [(EPOCH + timedelta(days=d)).isoformat() for d in days]
    types: dict[str, int] = {}
    channels: dict[str, int] = {}
    for v in by_day.values():
        for k, n in (v.get("by_type") or {}).items():
            types[k] = types.get(k, 0) + n
        for k, n in (v.get("by_channel") or {}).items():
            channels[k] = channels.get(k, 0) + n
    latest = by_day.get(days[-1], {})
    if "monthly" not in latest:        # the period ends before the last metrics pass: take that pass's row
        latest = _latest(session, org_id) or {}
    return {
        "labels": labels,
        "dau": [by_day.get(d, {}).get("dau", 0) for d in days],
        "wau": [by_day.get(d, {}).get("wau", 0) for d in days],
        "mau": [by_day.get(d, {}).get("mau", 0) for d in days],
        "activities": [by_day.get(d, {}).get("activities", 0) for d in days],
        "types": dict(sorted(types.items(), key=lambda kv: -kv[1])),
        "channels": dict(sorted(channels.items(), key=lambda kv: -kv[1])),
        "monthly": latest.get("monthly"),
        "nps": nps_by_month(latest.get("monthly")),
    }


def nps_by_month(monthly: dict | None, minimum: int = NPS_MIN_ANSWERS) -> dict:
    """What the NPS chart draws from the monthly figures: each month's answers, its score only where it has at
    least `minimum` answers (None otherwise), and the months left out for too few answers (indexes into the
    months; a month nobody answered in is simply empty)."""
    figures = (monthly or {}).get("nps") or []
    answers = [x["responses"] if x else 0 for x in figures]
    return {"minimum": minimum, "answers": answers,
            "scores": [x["score"] if x and x["responses"] >= minimum else None for x in figures],
            "hidden": [i for i, n in enumerate(answers) if 0 < n < minimum]}


def _latest(session: Session, org_id: int) -> dict | None:
    """The newest org_day row (the last metrics pass), for the monthly figures."""
    return day_data(session.scalar(text("SELECT data FROM org_day WHERE org_id = :org ORDER BY day DESC LIMIT 1"),
                                   {"org": org_id}))


def influential(session: Session, org_id: int, limit: int = 8,
                as_of: datetime | None = None) -> list[tuple[Member, dict]]:
    """The most influential members (the top by the influence of the last scoring pass), listed by reach, with
    the figures that tell them apart: `reached`, the distinct members who replied to, reacted to or mentioned
    them in the 90 days up to `as_of`, and `received`, how many times (staff and bots left out, as influence
    counts them). `as_of` defaults to the pass that computed the influence (full or daily)."""
    members = top(session, org_id, "influence", limit)
    if not members:
        return []
    if as_of is None:
        st = state(session, org_id)
        as_of = st.daily_at if st and st.daily_at else utcnow()
    params = {"org": org_id, "since": as_of - timedelta(days=INFLUENCE_DAYS), "now": as_of,
              "members": [m.id for m in members]}
    figures = {t: {"reached": int(r), "received": int(n)} for t, r, n in session.execute(text("""
        SELECT a.target_member_id, count(DISTINCT a.member_id), count(*)
        FROM activity a JOIN member src ON src.id = a.member_id
        WHERE a.org_id = :org AND a.target_member_id = ANY(CAST(:members AS bigint[]))
          AND a.occurred_at >= :since AND a.occurred_at <= :now AND a.member_id <> a.target_member_id
          AND src.org_id = :org AND NOT src.is_staff AND NOT src.is_bot
        GROUP BY a.target_member_id"""), params)}
    rows = [(m, figures.get(m.id, {"reached": 0, "received": 0})) for m in members]
    # The table shows reach: listed by it (stable, so equal reach keeps the influence order).
    return sorted(rows, key=lambda row: -row[1]["reached"])


def top(session: Session, org_id: int, kind: str, limit: int = 8) -> list[Member]:
    """Top members by score, the at-risk list (highest score first), or the most influential."""
    stmt = select(Member).where(Member.org_id == org_id, Member.is_staff.is_(False), Member.is_bot.is_(False),
                                Member.merged_into_id.is_(None), Member.erased_at.is_(None))
    if kind == "at_risk":
        stmt = stmt.where(Member.at_risk.is_(True)).order_by(Member.score_base.desc().nulls_last())
    elif kind == "influence":
        stmt = stmt.where(Member.influence_raw > 0).order_by(Member.influence_raw.desc(), Member.id)
    else:
        # B ranks members as their current score does, and is what the index holds (migration 0012).
        stmt = stmt.where(Member.score_base > 0).order_by(Member.score_base.desc(), Member.id)
    return list(session.scalars(stmt.limit(limit)))

