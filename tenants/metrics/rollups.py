"""Organisation metrics: daily rollups in `org_day`, monthly stages in `member_month`, and the current summary.
Set-based SQL; staff and bots are left out of every figure.

Daily (each day of the window): DAU, WAU, MAU (members active that day, and in the 7 and 30 days ending it), activity
by type and by channel; today's row also keeps the members, stage distribution, at-risk count, the preset
periods' KPIs and the monthly figures below (each past day keeps the snapshot its own pass took).

Monthly (this month and the twelve before it), from `member_month`: stage distribution, stage movement
(from-stage at the end of the month before × to-stage at the end of the month), cohort retention by first-seen
month, and NPS from survey answers (every month's figures are kept; the dashboard charts a month's NPS only from
NPS_MIN_ANSWERS answers on).
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.core import sql
from tenants.core.base import utcnow
from tenants.core.context import require_agency_id
from tenants.core.days import day_number, day_of, day_start, midnight
from tenants.metrics.dashboard import Period, kpis
from tenants.metrics.figures import day_data, nps_figures, nps_sql
from tenants.scoring import rules
from tenants.scoring.rules import ADVOCACY_DAYS, STAGES, WEEKS_WINDOW
from tenants.scoring.settings import current_model
from tenants.scoring.sql import ELIGIBLE, analyze, contrib, decay, temp, work_mem
from tenants.scoring.state import state, touch

MONTHS = 13     # this month and the twelve before it


def month_of(d: date) -> int:
    return d.year * 12 + d.month - 1


def month_start(month: int) -> date:
    return date(month // 12, month % 12 + 1, 1)


def month_end(month: int) -> date:
    return month_start(month + 1) - timedelta(days=1)


def month_label(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def parse_month(value: str | None) -> int | None:
    """'2026-10' → month number, None when it is not one."""
    try:
        year, mon = (int(part) for part in (value or "").split("-"))
    except ValueError:
        return None
    return year * 12 + mon - 1 if 2000 <= year <= 2200 and 1 <= mon <= 12 else None


def summary(session: Session, org_id: int, as_of: datetime | None = None) -> dict:
    """Current totals: members, active in 7 and 30 days, members per stage, at risk, and when computed."""
    as_of = as_of or utcnow()
    row = session.execute(text(f"""
        SELECT count(*),
               sum(CASE WHEN m.last_active_at >= :d7 THEN 1 ELSE 0 END),
               sum(CASE WHEN m.last_active_at >= :d30 THEN 1 ELSE 0 END),
               sum(CASE WHEN m.at_risk THEN 1 ELSE 0 END)
        FROM member m WHERE {ELIGIBLE}"""),
        {"org": org_id, "d7": as_of - timedelta(days=7), "d30": as_of - timedelta(days=30)}).one()
    stages = dict.fromkeys(STAGES, 0)
    for stage, n in session.execute(text(f"""
            SELECT m.stage, count(*) FROM member m WHERE {ELIGIBLE} AND m.stage IS NOT NULL
            GROUP BY m.stage"""), {"org": org_id}):
        stages[stage] = n
    st = state(session, org_id)
    return {"members": row[0] or 0, "active_7d": row[1] or 0, "active_30d": row[2] or 0,
            "stages": stages, "at_risk": row[3] or 0,
            "computed_at": st.scored_at.isoformat() if st and st.scored_at else None,
            "full_recompute_at": st.full_at.isoformat() if st and st.full_at else None}


# --- daily ----------------------------------------------------------------------------------------------

def rollup(session: Session, org_id: int, days: int = 400, as_of: datetime | None = None) -> int:
    """Write org_day rows for the last `days` days and member_month for the last 13 months (see the module
    docstring); returns the number of days written."""
    as_of = as_of or utcnow()
    work_mem(session)
    today = day_number(as_of)
    first = today - days
    params = {"org": org_id, "first": first, "today": today, "since": as_of - timedelta(days=days + 1)}
    data: dict[int, dict] = {d: _empty_day() for d in range(first + 1, today + 1)}
    for day, kind, n in session.execute(text(f"""
            SELECT d.day, d.type, sum(d.n)
            FROM member_day d JOIN member m ON m.id = d.member_id
            WHERE d.org_id = :org AND d.day > :first AND d.day <= :today AND {ELIGIBLE}
            GROUP BY d.day, d.type"""), params):
        data[day]["by_type"][kind] = int(n)
        data[day]["activities"] += int(n)
    for day, channel, n in session.execute(text(f"""
            SELECT {sql.day('a.occurred_at')}, a.channel, count(*) FROM activity a JOIN member m ON m.id = a.member_id
            WHERE a.org_id = :org AND a.occurred_at >= :since AND {ELIGIBLE}
            GROUP BY 1, 2"""), params):
        if day in data:
            data[day]["by_channel"][channel] = int(n)
    for day, (dau, wau, mau) in _rolling_active(session, org_id, first, today).items():
        data[day].update(dau=dau, wau=wau, mau=mau)
    snap = summary(session, org_id, as_of)
    member_months(session, org_id, as_of)
    # The dashboard's preset periods (7, 30, 90 days to today) read their KPIs from here instead of counting
    # distinct members over the rollup on every page view.
    windows = {}
    for n in (7, 30, 90):
        end = as_of.date()
        windows[str(n)] = kpis(session, org_id, Period(end - timedelta(days=n - 1), end), days=data)
    data[today].update(members=snap["members"], stages=snap["stages"], at_risk=snap["at_risk"], windows=windows,
                       monthly=monthly(session, org_id, as_of))
    # Snapshots only a past day's pass could take (stage distribution, members, at risk) are kept; the rest of
    # each day is recomputed. One read, one delete, one insert for the whole window.
    kept = ("members", "stages", "at_risk")
    for day, old in session.execute(text("SELECT day, data FROM org_day WHERE org_id = :org AND day > :first "
                                         "AND day < :today"), params):
        old = day_data(old)
        data[day].update({k: old[k] for k in kept if k in old})
    session.execute(text("DELETE FROM org_day WHERE org_id = :org AND day > :first AND day <= :today"), params)
    session.execute(text("INSERT INTO org_day (agency_id, org_id, day, data) VALUES (:a, :org, :day, :data)"),
                    [{"a": require_agency_id(), "org": org_id, "day": day, "data": json.dumps(values)}
                     for day, values in sorted(data.items())])
    touch(session, org_id, metrics_at=as_of)
    return len(data)


def _empty_day() -> dict:
    return {"dau": 0, "wau": 0, "mau": 0, "activities": 0, "by_type": {}, "by_channel": {}}


def _rolling_active(session: Session, org_id: int, first: int, today: int) -> dict[int, tuple[int, int, int]]:
    """DAU, WAU and MAU of every day in (first, today]. Each active day d of a member counts them on the days
    d .. min(d + window, their next active day) - 1: those spans never overlap, so a running sum of +1/−1
    events is the number of distinct members active in the window ending each day."""
    events = session.execute(text(f"""
        WITH days AS (
            SELECT d.member_id, d.day FROM member_day d JOIN member m ON m.id = d.member_id
            WHERE d.org_id = :org AND d.day > :lo AND d.day <= :today AND {ELIGIBLE}
            GROUP BY d.member_id, d.day),
        spans AS (
            SELECT day, lead(day) OVER (PARTITION BY member_id ORDER BY day) AS next FROM days),
        edges AS (
            SELECT day AS at, 1 AS d, 1 AS w, 1 AS m FROM spans
            UNION ALL SELECT day + 1, -1, 0, 0 FROM spans
            UNION ALL SELECT CASE WHEN next IS NULL OR next > day + 7 THEN day + 7 ELSE next END, 0, -1, 0 FROM spans
            UNION ALL SELECT CASE WHEN next IS NULL OR next > day + 30 THEN day + 30 ELSE next END, 0, 0, -1
                      FROM spans)
        SELECT at, sum(d), sum(w), sum(m) FROM edges GROUP BY at"""),
        {"org": org_id, "lo": first - 30, "today": today}).all()
    delta = {at: (int(d), int(w), int(m)) for at, d, w, m in events}
    out, dau, wau, mau = {}, 0, 0, 0
    for day in range(first - 30, today + 1):
        d, w, m = delta.get(day, (0, 0, 0))
        dau, wau, mau = dau + d, wau + w, mau + m
        if day > first:
            out[day] = (dau, wau, mau)
    return out


# --- monthly --------------------------------------------------------------------------------------------

def member_months(session: Session, org_id: int, as_of: datetime | None = None) -> int:
    """Rewrite the organisation's member_month rows: each member's stage at the end of each of the last twelve
    months, and now, and whether they were active in the month.

    A past month's stage is the one the stage history records at its end. Before the history begins (scoring
    had not run yet) it is reconstructed from the activity: the stage rules of the current model applied at the
    month's end (score decayed to that moment, active weeks, tenure, advocacy), without the demotion grace."""
    as_of = as_of or utcnow()
    model = current_model(session, org_id)
    this = month_of(as_of.date())
    first = this - (MONTHS - 1)
    temp(session, "month_ends", "k integer, month integer, lo_day integer, t_day integer, "
                                 "t_ts timestamp with time zone, decay double precision, "
                                 "tenure_ts timestamp with time zone")
    rows = []
    for k, month in enumerate(range(first, this)):
        t_day = day_of(month_end(month))
        moment = day_start(t_day + 1)
        rows.append({"k": k, "month": month, "lo": day_of(month_start(month)), "t": t_day,
                     "ts": moment, "decay": decay(model, moment),
                     "tenure": moment - timedelta(days=model.tenure_days)})
    session.execute(text("INSERT INTO month_ends VALUES (:k, :month, :lo, :t, :ts, :decay, :tenure)"), rows)
    # Each day of the window → its month (k); a hash join on this beats date arithmetic on every rollup row.
    temp(session, "month_days", "day integer, k integer")
    session.execute(text("INSERT INTO month_days VALUES (:day, :k)"),
                    [{"day": day, "k": r["k"]} for r in rows for day in range(r["lo"], r["t"] + 1)])
    analyze(session, "month_ends", "month_days")
    params: dict = {"agency": require_agency_id(), "org": org_id, "first": first, "this": this,
                    "last_k": MONTHS - 2, "weeks_days": WEEKS_WINDOW * 7,
                    "adv_days": ADVOCACY_DAYS, "first_day": rows[0]["lo"],
                    "this_lo": day_of(month_start(this)), "today": day_number(as_of)}
    rules.bind(model, params)
    term = contrib(model, params)
    earned = rules.earned_sql("c.e", "c.first_seen_at <= c.tenure_ts", "coalesce(w.w, 0)", "a.member_id IS NOT NULL")
    session.execute(text("DELETE FROM member_month WHERE org_id = :org"), params)
    # Terms of B per member and month (everything older lands in the first month), summed up to each month's
    # end by a running total: one pass over member_day whatever the number of months. The windows (active
    # weeks, advocacy) count back from midnight after the month's last day, as a scoring run then would.
    session.execute(text(f"""
        INSERT INTO member_month (agency_id, org_id, member_id, month, stage, active)
        WITH grid AS (
            SELECT m.id AS member_id, me.k, me.month, me.t_ts, me.decay, me.tenure_ts, m.first_seen_at
            FROM member m CROSS JOIN month_ends me WHERE {ELIGIBLE}),
        bucket AS (
            SELECT d.member_id, coalesce(md.k, 0) AS k, sum({term}) AS c,
                   max(CASE WHEN md.k IS NULL THEN 0 ELSE 1 END) AS act
            FROM member_day d LEFT JOIN month_days md ON md.day = d.day
            WHERE d.org_id = :org AND d.day < :this_lo
            GROUP BY d.member_id, coalesce(md.k, 0)),
        cum AS (
            SELECT g.member_id, g.k, g.month, g.t_ts, g.tenure_ts, g.first_seen_at, coalesce(b.act, 0) AS act,
                   g.decay * sum(coalesce(b.c, 0.0)) OVER (PARTITION BY g.member_id ORDER BY g.k) AS e
            FROM grid g LEFT JOIN bucket b ON b.member_id = g.member_id AND b.k = g.k),
        near AS (      -- a day counts towards the active weeks of its own month's end and the next one's only
            SELECT d.member_id, d.day, md.k + o.x AS k
            FROM member_day d JOIN month_days md ON md.day = d.day CROSS JOIN (SELECT 0 AS x UNION ALL SELECT 1) o
            WHERE d.org_id = :org
            UNION ALL
            SELECT d.member_id, d.day, 0 FROM member_day d
            WHERE d.org_id = :org AND d.day < :first_day AND d.day > :first_day - :weeks_days),
        weeks AS (
            SELECT n.member_id, n.k, {sql.weeks_active('n.day', 'me.t_day + 1', 'me.t_day + 1 - :weeks_days')} AS w
            FROM near n JOIN month_ends me ON me.k = n.k AND n.day > me.t_day + 1 - :weeks_days
              AND n.day <= me.t_day
            GROUP BY n.member_id, n.k),
        adv AS (
            SELECT DISTINCT d.member_id, me.k
            FROM member_day d JOIN month_ends me ON d.day > me.t_day + 1 - :adv_days AND d.day <= me.t_day
            WHERE d.org_id = :org AND {rules.advocacy_sql(model)}),
        rec AS (
            SELECT member_id, k, to_stage FROM (
                SELECT sc.member_id, me.k, sc.to_stage,
                       row_number() OVER (PARTITION BY sc.member_id, me.k ORDER BY sc.changed_at DESC, sc.id DESC)
                         AS rn
                FROM stage_change sc JOIN month_ends me ON sc.changed_at <= me.t_ts
                WHERE sc.org_id = :org) x
            WHERE rn = 1)
        SELECT :agency, :org, c.member_id, c.month,
               coalesce(r.to_stage, {rules.STAGE_NAME.format(earned)}),
               CASE WHEN c.act = 1 THEN true ELSE false END
        FROM cum c
        LEFT JOIN weeks w ON w.member_id = c.member_id AND w.k = c.k
        LEFT JOIN adv a ON a.member_id = c.member_id AND a.k = c.k
        LEFT JOIN rec r ON r.member_id = c.member_id AND r.k = c.k
        WHERE c.first_seen_at < c.t_ts"""), params)
    # This month: today's stage, and whether the member was active since the 1st.
    session.execute(text(f"""
        INSERT INTO member_month (agency_id, org_id, member_id, month, stage, active)
        SELECT :agency, :org, m.id, :this, m.stage,
               CASE WHEN EXISTS (SELECT 1 FROM member_day d WHERE d.member_id = m.id AND d.day >= :this_lo
                                 AND d.day <= :today) THEN true ELSE false END
        FROM member m WHERE {ELIGIBLE}"""), params)
    return session.scalar(text("SELECT count(*) FROM member_month WHERE org_id = :org"), params) or 0


def monthly(session: Session, org_id: int, as_of: datetime | None = None) -> dict:
    """Stage distribution per month, stage movement per month, cohort retention and NPS per month, from
    member_month (see member_months) and the survey answers."""
    as_of = as_of or utcnow()
    this = month_of(as_of.date())
    first = this - (MONTHS - 1)
    months = list(range(first, this + 1))
    params = {"org": org_id, "first": first}
    stages = {s: [0] * len(months) for s in STAGES}
    for month, stage, n in session.execute(text("""
            SELECT month, stage, count(*) FROM member_month WHERE org_id = :org AND stage IS NOT NULL
            GROUP BY month, stage"""), params):
        if stage in stages and first <= month <= this:
            stages[stage][month - first] = n
    movement: dict[str, list] = {}
    for month, before, after, n in session.execute(text("""
            SELECT c.month, p.stage, c.stage, count(*)
            FROM member_month c LEFT JOIN member_month p ON p.member_id = c.member_id AND p.month = c.month - 1
            WHERE c.org_id = :org AND c.month > :first AND c.stage IS NOT NULL
            GROUP BY c.month, p.stage, c.stage"""), params):
        movement.setdefault(str(month), []).append([before, after, n])
    sizes = dict(session.execute(text(f"""
        SELECT {sql.month_of_ts('m.first_seen_at')}, count(*) FROM member m
        WHERE {ELIGIBLE} AND {sql.month_of_ts('m.first_seen_at')} >= :first GROUP BY 1"""),
        params).all())
    retained: dict[int, dict[int, int]] = {}
    for cohort, month, n in session.execute(text(f"""
            SELECT {sql.month_of_ts('m.first_seen_at')}, mm.month, count(*)
            FROM member_month mm JOIN member m ON m.id = mm.member_id
            WHERE mm.org_id = :org AND mm.active AND {sql.month_of_ts('m.first_seen_at')} >= :first
            GROUP BY 1, 2"""), params):
        retained.setdefault(cohort, {})[month - cohort] = n
    cohorts = [[c, sizes[c], [retained.get(c, {}).get(k, 0) for k in range(this - c + 1)]]
               for c in sorted(sizes) if first <= c <= this]
    scores = {}
    for month, promoters, detractors, responses in session.execute(
            text(nps_sql(sql.month_of_ts("a.occurred_at"))),
            {"org": org_id, "a": midnight(month_start(first)), "b": midnight(month_start(this + 1))}):
        scores[month] = nps_figures(promoters or 0, detractors or 0, responses or 0)
    return {"months": months, "labels": [month_label(m) for m in months], "stages": stages,
            "movement": movement, "cohorts": cohorts,
            "nps": [scores.get(m) for m in months]}
