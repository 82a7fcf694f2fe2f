"""Organisation metrics: daily rollups in `org_day` and the current summary. Set-based SQL; staff and bots
are left out of every figure."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from .context import require_agency_id
from .models import utcnow
from .scoring import STAGES, Dialect, day_number, state

ELIGIBLE = ("NOT m.is_staff AND NOT m.is_bot AND m.merged_into_id IS NULL AND m.erased_at IS NULL")


def summary(session: Session, org_id: int, as_of: datetime | None = None) -> dict:
    """Current totals: members, active in 7 and 30 days, members per stage, at risk, and when computed."""
    as_of = as_of or utcnow()
    sql = Dialect(session)
    row = session.execute(text(f"""
        SELECT count(*),
               sum(CASE WHEN m.last_active_at >= :d7 THEN 1 ELSE 0 END),
               sum(CASE WHEN m.last_active_at >= :d30 THEN 1 ELSE 0 END),
               sum(CASE WHEN m.at_risk THEN 1 ELSE 0 END)
        FROM member m WHERE m.org_id = :org AND {ELIGIBLE}"""),
        {"org": org_id, "d7": sql.ts(as_of - timedelta(days=7)), "d30": sql.ts(as_of - timedelta(days=30))}).one()
    stages = dict.fromkeys(STAGES, 0)
    for stage, n in session.execute(text(f"""
            SELECT m.stage, count(*) FROM member m WHERE m.org_id = :org AND {ELIGIBLE} AND m.stage IS NOT NULL
            GROUP BY m.stage"""), {"org": org_id}):
        stages[stage] = n
    st = state(session, org_id)
    return {"members": row[0] or 0, "active_7d": row[1] or 0, "active_30d": row[2] or 0,
            "stages": stages, "at_risk": row[3] or 0,
            "computed_at": st.scored_at.isoformat() if st and st.scored_at else None,
            "full_recompute_at": st.full_at.isoformat() if st and st.full_at else None}


def rollup(session: Session, org_id: int, days: int = 400, as_of: datetime | None = None) -> int:
    """Write org_day rows for the last `days` days: active members, activity by type and channel; today's
    row also carries the stage distribution and at-risk count (stage history accrues day by day)."""
    as_of = as_of or utcnow()
    sql = Dialect(session)
    today = day_number(as_of)
    first = today - days
    params = {"org": org_id, "first": first, "today": today, "since": sql.ts(as_of - timedelta(days=days + 1))}
    data: dict[int, dict] = {}
    for day, dau, acts in session.execute(text(f"""
            SELECT d.day, count(DISTINCT d.member_id), sum(d.n) FROM member_day d JOIN member m ON m.id = d.member_id
            WHERE d.org_id = :org AND d.day > :first AND d.day <= :today AND {ELIGIBLE}
            GROUP BY d.day"""), params):
        data[day] = {"dau": dau, "activities": int(acts), "by_type": {}, "by_channel": {}}
    for day, kind, n in session.execute(text(f"""
            SELECT d.day, d.type, sum(d.n) FROM member_day d JOIN member m ON m.id = d.member_id
            WHERE d.org_id = :org AND d.day > :first AND d.day <= :today AND {ELIGIBLE}
            GROUP BY d.day, d.type"""), params):
        data[day]["by_type"][kind] = int(n)
    for day, channel, n in session.execute(text(f"""
            SELECT {sql.day('a.occurred_at')}, a.channel, count(*) FROM activity a JOIN member m ON m.id = a.member_id
            WHERE a.org_id = :org AND a.occurred_at >= :since AND {ELIGIBLE}
            GROUP BY 1, 2"""), params):
        if day in data:
            data[day]["by_channel"][channel] = int(n)
    snap = summary(session, org_id, as_of)
    # The dashboard's preset periods (7, 30, 90 days to today) read their KPIs from here instead of counting
    # distinct members over the rollup on every page view.
    from .dashboard import Period, kpis
    windows = {}
    for n in (7, 30, 90):
        end = as_of.date()
        windows[str(n)] = kpis(session, org_id, Period(end - timedelta(days=n - 1), end))
    data.setdefault(today, {"dau": 0, "activities": 0, "by_type": {}, "by_channel": {}})
    data[today].update(members=snap["members"], wau=snap["active_7d"], mau=snap["active_30d"],
                       stages=snap["stages"], at_risk=snap["at_risk"], windows=windows)
    # Snapshots only a past day's pass could take (stage distribution, members, at risk) are kept; the rest of
    # each day is recomputed. One read, one delete, one insert for the whole window.
    import json
    kept = ("members", "wau", "mau", "stages", "at_risk", "windows")
    for day, old in session.execute(text("SELECT day, data FROM org_day WHERE org_id = :org AND day > :first "
                                         "AND day <= :today"), params):
        old = old if isinstance(old, dict) else json.loads(old)
        if day != today:
            data.setdefault(day, {"dau": 0, "activities": 0, "by_type": {}, "by_channel": {}})
            data[day].update({k: old[k] for k in kept if k in old})
    session.execute(text("DELETE FROM org_day WHERE org_id = :org AND day > :first AND day <= :today"), params)
    session.execute(text("INSERT INTO org_day (agency_id, org_id, day, data) VALUES (:a, :org, :day, :data)"),
                    [{"a": require_agency_id(), "org": org_id, "day": day, "data": json.dumps(values)}
                     for day, values in sorted(data.items())])
    from .scoring import touch
    touch(session, org_id, metrics_at=as_of)
    return len(data)



