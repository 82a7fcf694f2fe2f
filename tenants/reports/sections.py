"""The frozen sections of a report: everything its page shows, read once from the stored figures when the
report is generated. Every section is a plain JSON value, or None for "no data" (never a made-up zero)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants import kpis
from tenants.core.days import day_of, midnight
from tenants.events import counts
from tenants.goals import for_report as goal_report
from tenants.metrics.dashboard import Period
from tenants.metrics.figures import day_data
from tenants.metrics.rollups import month_label, month_of, month_start
from tenants.scoring.rules import STAGES
from tenants.scoring.sql import ELIGIBLE
from tenants.segments import service as segments
from tenants.segments.models import Segment

HEADLINE = ("members", "active_30d", "active", "new", "loyal_advocates", "at_risk_share", "nps", "active_leaders")
ORG_CODES = tuple(c for c in kpis.CODES if c != "segment_size")
LOYAL = ("loyal", "advocate")
COHORT_MONTHS = 6
AT_RISK_SHOWN = 10
LEADERS_SHOWN = 10


def _bounds(p: Period) -> dict:
    return {"a": midnight(p.start), "b": midnight(p.end + timedelta(days=1))}


def goals(session: Session, org_id: int, p: Period) -> list | None:
    """The goals section: each goal open at the period's end (or closed in the month before) with its KPI,
    baseline, target, value, progress and status on that day (tenants.goals.for_report); None without goals."""
    rows = goal_report(session, org_id, p.end)
    return [{"name": r["title"], "kpi": r["kpi"], "segment": r["segment"], "baseline": r["baseline"],
             "current": r["current"], "target": r["target"], "due": r["due"].isoformat() if r["due"] else None,
             "progress": r["progress"], "status": r["status"]} for r in rows] or None


def activity(session: Session, org_id: int, p: Period) -> dict | None:
    """Activity by type and channel, and daily active members, summed from the stored org_day rows."""
    rows = session.execute(text("SELECT day, data FROM org_day WHERE org_id = :org AND day >= :lo AND day <= :hi "
                                "ORDER BY day"), {"org": org_id, "lo": day_of(p.start), "hi": day_of(p.end)}).all()
    if not rows:
        return None
    by_type: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    daily = []
    for day, data in rows:
        data = day_data(data) or {}
        for key, into in (("by_type", by_type), ("by_channel", by_channel)):
            for name, n in (data.get(key) or {}).items():
                into[name] = into.get(name, 0) + int(n)
        daily.append([(date(1970, 1, 1) + timedelta(days=day)).isoformat(), int(data.get("dau") or 0)])
    return {"by_type": dict(sorted(by_type.items(), key=lambda kv: -kv[1])),
            "by_channel": dict(sorted(by_channel.items(), key=lambda kv: -kv[1])), "daily": daily}


def stages(session: Session, org_id: int, p: Period) -> dict | None:
    """Stage distribution at the end of the period's last month and the month before, and the movement matrix
    between them, from member_month."""
    month = month_of(p.end)
    dist = {m: dict.fromkeys(STAGES, 0) for m in (month - 1, month)}
    for m, stage, n in session.execute(text("""
            SELECT month, stage, count(*) FROM member_month WHERE org_id = :org AND month IN (:m, :m - 1)
              AND stage IS NOT NULL GROUP BY month, stage"""), {"org": org_id, "m": month}):
        if stage in dist[m]:
            dist[m][stage] = n
    if not any(dist[month].values()):
        return None
    matrix = [[before, after, n] for before, after, n in session.execute(text("""
        SELECT p.stage, c.stage, count(*) FROM member_month c
        LEFT JOIN member_month p ON p.member_id = c.member_id AND p.month = c.month - 1
        WHERE c.org_id = :org AND c.month = :m AND c.stage IS NOT NULL
        GROUP BY p.stage, c.stage ORDER BY 1 NULLS FIRST, 2"""), {"org": org_id, "m": month})]
    return {"month": month_label(month), "previous_month": month_label(month - 1),
            "now": dist[month], "before": dist[month - 1] if any(dist[month - 1].values()) else None,
            "matrix": matrix}


def cohorts(session: Session, org_id: int, p: Period) -> dict | None:
    """Retention of the members first seen in each of the COHORT_MONTHS months up to the period's: the share
    active in each month since."""
    last = month_of(p.end)
    first = last - COHORT_MONTHS + 1
    params = {"org": org_id, "a": midnight(month_start(first)), "b": midnight(month_start(last + 1)),
              "first": first, "last": last}
    cohort = "(CAST(extract(year FROM m.first_seen_at AT TIME ZONE 'UTC') AS integer) * 12 + " \
             "CAST(extract(month FROM m.first_seen_at AT TIME ZONE 'UTC') AS integer) - 1)"
    sizes = dict(session.execute(text(f"""
        SELECT {cohort}, count(*) FROM member m WHERE {ELIGIBLE} AND m.first_seen_at >= :a AND m.first_seen_at < :b
        GROUP BY 1"""), params).all())
    if not sizes:
        return None
    active: dict[int, dict[int, int]] = {}
    for c, month, n in session.execute(text(f"""
            SELECT {cohort}, mm.month, count(*) FROM member_month mm JOIN member m ON m.id = mm.member_id
            WHERE mm.org_id = :org AND mm.active AND mm.month <= :last AND {ELIGIBLE}
              AND m.first_seen_at >= :a AND m.first_seen_at < :b GROUP BY 1, 2"""), params):
        active.setdefault(c, {})[month - c] = n
    rows = []
    for c in range(first, last + 1):
        if sizes.get(c):
            shares = [round(100.0 * active.get(c, {}).get(k, 0) / sizes[c], 1) for k in range(last - c + 1)]
            rows.append({"month": month_label(c), "size": sizes[c], "shares": shares})
    return {"rows": rows}


def at_risk(session: Session, org_id: int, figures: dict) -> dict | None:
    """The at-risk share at the period's end and, as the report was generated, the members at risk."""
    rows = session.execute(text(f"""
        SELECT m.public_id, m.display_name, m.stage FROM member m WHERE {ELIGIBLE} AND m.at_risk
        ORDER BY m.score_base DESC NULLS LAST, m.id LIMIT :n"""), {"org": org_id, "n": AT_RISK_SHOWN}).all()
    if figures.get("at_risk_share") is None and not rows:
        return None
    return {"share": figures.get("at_risk_share"),
            "members": [{"id": pid, "name": name, "stage": stage} for pid, name, stage in rows]}


def leaders(session: Session, org_id: int, p: Period) -> dict | None:
    """Active opinion leaders with the members they reached in the period (who replied to, reacted to or
    mentioned them, or whom they answered) and their touchpoints in it."""
    rows = session.execute(text(f"""
        SELECT m.public_id, m.display_name,
               (SELECT count(DISTINCT x.other) FROM (
                    SELECT a.member_id AS other FROM activity a
                    WHERE a.org_id = :org AND a.target_member_id = l.member_id AND a.member_id <> l.member_id
                      AND a.occurred_at >= :a AND a.occurred_at < :b
                    UNION ALL
                    SELECT a.target_member_id FROM activity a WHERE a.org_id = :org AND a.member_id = l.member_id
                      AND a.target_member_id IS NOT NULL AND a.target_member_id <> l.member_id
                      AND a.occurred_at >= :a AND a.occurred_at < :b) x) AS reached,
               (SELECT count(*) FROM touchpoint t WHERE t.leader_id = l.id AND t.day >= :start AND t.day <= :end)
        FROM leader l JOIN member m ON m.id = l.member_id
        WHERE l.org_id = :org AND l.status = 'active' AND {ELIGIBLE}
        ORDER BY 3 DESC, m.sort_name, m.id"""), {"org": org_id, "start": p.start, "end": p.end, **_bounds(p)}).all()
    if not rows:
        return None
    return {"count": len(rows), "reached": sum(r[2] for r in rows), "touchpoints": sum(r[3] for r in rows),
            "rows": [{"id": pid, "name": name, "reached": reached, "touchpoints": tps}
                     for pid, name, reached, tps in rows[:LEADERS_SHOWN]]}


def events(session: Session, org_id: int, p: Period, figures: dict) -> dict | None:
    """Events held in the period with their head counts, the attendance and repeat rates and NPS."""
    held = session.execute(text("""
        SELECT id, public_id, title, starts_at FROM event WHERE org_id = :org AND starts_at >= :a AND starts_at < :b
          AND ends_at <= now() ORDER BY starts_at"""), {"org": org_id, **_bounds(p)}).all()
    if not held and figures.get("nps") is None:
        return None
    per = counts.of_events(session, [e.id for e in held])
    return {"held": len(held), "attendance_rate": figures.get("attendance_rate"),
            "repeat_attendance": figures.get("repeat_attendance"), "nps": figures.get("nps"),
            "rows": [{"id": pid, "title": title, "date": starts.date().isoformat(), "registered": per[i].registered,
                      "came": per[i].attended - per[i].walk_ins, "walk_ins": per[i].walk_ins}
                     for i, pid, title, starts in held]}


def chosen_ids(session: Session, org_id: int) -> set[int]:
    """The ids of the segments the agency chose for the organisation's reports."""
    return set(session.execute(text("SELECT segment_id FROM report_segment WHERE org_id = :org"),
                               {"org": org_id}).scalars())


def chosen_segments(session: Session, org_id: int) -> list[Segment]:
    ids = chosen_ids(session, org_id)
    return [s for s in segments.of_org(session, org_id) if s.id in ids] if ids else []


def segment_figures(session: Session, org_id: int, p: Period, previous: Period,
                    chosen: list[Segment]) -> list | None:
    """Each chosen segment's size at the period's end and at the previous period's (None where not stored)."""
    if not chosen:
        return None
    return [{"id": s.public_id, "name": s.name, "starter": s.starter, "colour": s.colour,
             "size": kpis.compute(session, org_id, p, ("segment_size",), segment=s)["segment_size"],
             "previous": kpis.compute(session, org_id, previous, ("segment_size",), segment=s)["segment_size"]}
            for s in chosen]
