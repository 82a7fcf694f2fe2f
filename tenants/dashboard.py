"""What the organisation dashboard shows: KPIs for a period beside the previous period, chart series from
the daily rollups, and the member tables. Set-based SQL; staff and bots are left out."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .metrics import ELIGIBLE
from .models import Member, utcnow
from .scoring import STAGES, Dialect


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
    if start and end:
        try:
            a, b = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError:
            a = b = None
        if a and b and a <= b:
            b = min(b, today)
            return Period(max(a, b - timedelta(days=730)), b)
    days = days if days in (7, 30, 90) else 30
    return Period(today - timedelta(days=days - 1), today)


def _day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def cached_kpis(session: Session, org_id: int, p: Period) -> dict | None:
    """KPIs of a preset period ending today, as the last metrics pass stored them (None if it has not)."""
    if p.days not in (7, 30, 90) or p.end != utcnow().date():
        return None
    data = session.scalar(text("SELECT data FROM org_day WHERE org_id = :org AND day = :day"),
                          {"org": org_id, "day": _day(p.end)})
    if data is None:
        return None
    data = data if isinstance(data, dict) else json.loads(data)
    return (data.get("windows") or {}).get(str(p.days))


def kpis(session: Session, org_id: int, p: Period) -> dict:
    """Active members, new members and activities for the period and the one before."""
    sql = Dialect(session)
    out = {}
    for name, q in (("now", p), ("before", p.previous())):
        lo, hi = _day(q.start), _day(q.end)
        active, acts = session.execute(text(f"""
            SELECT count(DISTINCT d.member_id), coalesce(sum(d.n), 0)
            FROM member_day d JOIN member m ON m.id = d.member_id
            WHERE d.org_id = :org AND d.day >= :lo AND d.day <= :hi AND {ELIGIBLE}"""),
            {"org": org_id, "lo": lo, "hi": hi}).one()
        start = datetime(q.start.year, q.start.month, q.start.day, tzinfo=UTC)
        end = datetime(q.end.year, q.end.month, q.end.day, tzinfo=UTC) + timedelta(days=1)
        new = session.scalar(text(f"""
            SELECT count(*) FROM member m WHERE m.org_id = :org AND m.first_seen_at >= :a AND m.first_seen_at < :b
            AND {ELIGIBLE}"""), {"org": org_id, "a": sql.ts(start), "b": sql.ts(end)})
        out[name] = {"active": active or 0, "activities": int(acts or 0), "new": new or 0}
    return out


def change(now: float, before: float) -> float | None:
    """Percent change against the previous period (None when there is nothing to compare with)."""
    if not before:
        return None
    return round(100.0 * (now - before) / before, 1)


def series(session: Session, org_id: int, p: Period) -> dict:
    """Chart data from org_day: active members per day, activity by type and by channel, stage shares."""
    rows = session.execute(text("SELECT day, data FROM org_day WHERE org_id = :org AND day >= :lo AND day <= :hi "
                                "ORDER BY day"), {"org": org_id, "lo": _day(p.start), "hi": _day(p.end)}).all()
    by_day = {d: (v if isinstance(v, dict) else json.loads(v)) for d, v in rows}
    days = list(range(_day(p.start), _day(p.end) + 1))
    labels = [(date(1970, 1, 1) + timedelta(days=d)).isoformat() for d in days]
    types: dict[str, int] = {}
    channels: dict[str, int] = {}
    for v in by_day.values():
        for k, n in (v.get("by_type") or {}).items():
            types[k] = types.get(k, 0) + n
        for k, n in (v.get("by_channel") or {}).items():
            channels[k] = channels.get(k, 0) + n
    staged = [(d, by_day[d]["stages"]) for d in days if d in by_day and by_day[d].get("stages")]
    return {
        "labels": labels,
        "dau": [by_day.get(d, {}).get("dau", 0) for d in days],
        "activities": [by_day.get(d, {}).get("activities", 0) for d in days],
        "types": dict(sorted(types.items(), key=lambda kv: -kv[1])),
        "channels": dict(sorted(channels.items(), key=lambda kv: -kv[1])),
        "stage_days": [(date(1970, 1, 1) + timedelta(days=d)).isoformat() for d, _ in staged],
        "stages": {s: [v.get(s, 0) for _, v in staged] for s in STAGES},
    }


def top(session: Session, org_id: int, kind: str, limit: int = 8) -> list[Member]:
    """Top members by score, the at-risk list (highest score first), or the most influential."""
    stmt = select(Member).where(Member.org_id == org_id, Member.is_staff.is_(False), Member.is_bot.is_(False),
                                Member.merged_into_id.is_(None), Member.erased_at.is_(None))
    if kind == "at_risk":
        stmt = stmt.where(Member.at_risk.is_(True)).order_by(Member.score.desc().nulls_last())
    elif kind == "influence":
        stmt = stmt.where(Member.influence_raw > 0).order_by(Member.influence_raw.desc(), Member.id)
    else:
        stmt = stmt.where(Member.score > 0).order_by(Member.score.desc(), Member.id)
    return list(session.scalars(stmt.limit(limit)))

