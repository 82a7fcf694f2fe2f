"""The SQL behind each KPI definition in the registry, for one period and an optional segment. Levels in the
past come from the day's stored snapshot; today's from the live tables."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.core.days import day_of, midnight
from tenants.events import summary as event_summary
from tenants.metrics.dashboard import Period, kpis
from tenants.metrics.figures import day_data
from tenants.scoring.sql import ELIGIBLE
from tenants.segments import service as segments
from tenants.segments.models import Segment

AMONG = " AND m.id = ANY(CAST(:ids AS bigint[]))"


@dataclass
class Context:
    session: Session
    org_id: int
    period: Period
    segment: Segment | None
    today: date

    @property
    def live(self) -> bool:
        """Whether the period ends today (or later): levels are read from the live tables."""
        return self.period.end >= self.today

    @cached_property
    def ids(self) -> list[int] | None:
        """The segment's members today (None without a segment)."""
        if self.segment is None:
            return None
        return segments.member_ids(self.session, segments.statement(self.session, self.segment, self.today))

    @cached_property
    def period_kpis(self) -> dict:
        return kpis(self.session, self.org_id, self.period, members=self.ids)["now"]

    @cached_property
    def stored_day(self) -> dict | None:
        """The org_day row of the period's last day, as the metrics pass stored it."""
        return day_data(self.session.scalar(text("SELECT data FROM org_day WHERE org_id = :org AND day = :day"),
                                            {"org": self.org_id, "day": day_of(self.period.end)}))

    @cached_property
    def levels(self) -> dict | None:
        """members, loyal_advocates and at_risk at the period's end: live today or for a segment, else the
        day's snapshot (None when that day has none)."""
        if self.live or self.ids is not None:
            among = "" if self.ids is None else AMONG
            row = self.session.execute(text(f"""
                SELECT count(*), count(*) FILTER (WHERE m.stage IN ('loyal', 'advocate')),
                       count(*) FILTER (WHERE m.at_risk)
                FROM member m WHERE {ELIGIBLE}{among} AND (m.first_seen_at IS NULL OR m.first_seen_at < :e)"""),
                {"org": self.org_id, "ids": self.ids, "e": midnight(self.period.end) + timedelta(days=1)}).one()
            return {"members": row[0], "loyal_advocates": row[1], "at_risk": row[2]}
        day = self.stored_day
        if not day or "members" not in day:
            return self.rebuilt_levels()
        stages = day.get("stages") or {}
        return {"members": day["members"], "loyal_advocates": stages.get("loyal", 0) + stages.get("advocate", 0),
                "at_risk": day.get("at_risk", 0)}

    def rebuilt_levels(self) -> dict:
        """A past day no metrics pass stored: members from their first-seen dates; loyal and advocates from the
        month-end stages (member_month) when the day ends a month; at risk is not kept for the past (None)."""
        end = self.period.end
        month_end = (end + timedelta(days=1)).day == 1
        row = self.session.execute(text(f"""
            SELECT count(*),
                   (SELECT count(*) FROM member_month mm JOIN member m ON m.id = mm.member_id
                    WHERE mm.org_id = :org AND mm.month = :month AND mm.stage IN ('loyal', 'advocate') AND {ELIGIBLE})
            FROM member m WHERE {ELIGIBLE} AND m.first_seen_at < :e"""),
            {"org": self.org_id, "e": midnight(end) + timedelta(days=1), "month": end.year * 12 + end.month - 1}).one()
        return {"members": row[0] or None, "loyal_advocates": row[1] if month_end and row[0] else None,
                "at_risk": None}

    @cached_property
    def events(self) -> event_summary.Summary:
        return event_summary.of_org(self.session, self.org_id, midnight(self.period.end) + timedelta(days=1),
                             self.period.days)


def active_in(ctx: Context, days: int) -> int | None:
    """Members active in the `days` days up to the period's end: the stored rolling count when there is one,
    else counted from the daily activity rows."""
    if ctx.ids is None:
        day = ctx.stored_day
        if day and ("wau" if days == 7 else "mau") in day and day.get("mau"):
            return day["wau" if days == 7 else "mau"]
    end = day_of(ctx.period.end)
    among = "" if ctx.ids is None else AMONG
    return ctx.session.scalar(text(f"""
        SELECT count(DISTINCT d.member_id) FROM member_day d JOIN member m ON m.id = d.member_id
        WHERE d.org_id = :org AND d.day > :lo AND d.day <= :hi AND {ELIGIBLE}{among}"""),
        {"org": ctx.org_id, "lo": end - days, "hi": end, "ids": ctx.ids}) or 0


def active_leaders(ctx: Context) -> int:
    """Leaders whose latest status change up to the period's end made them active."""
    return ctx.session.scalar(text("""
        SELECT count(*) FROM (
            SELECT DISTINCT ON (c.leader_id) c.to_status FROM leader_status_change c
            WHERE c.org_id = :org AND c.changed_at < :e ORDER BY c.leader_id, c.changed_at DESC, c.id DESC) x
        WHERE x.to_status = 'active'"""),
        {"org": ctx.org_id, "e": midnight(ctx.period.end) + timedelta(days=1)}) or 0


def segment_size(ctx: Context) -> int | None:
    if ctx.segment is None:
        return None
    if ctx.live:
        return len(ctx.ids or [])
    return ctx.session.scalar(text("SELECT size FROM segment_day WHERE segment_id = :s AND day = :d"),
                              {"s": ctx.segment.id, "d": day_of(ctx.period.end)})


def share(part: int | None, whole: int | None) -> float | None:
    """`part` as a percentage of `whole`, one decimal (None without a whole)."""
    return round(100.0 * part / whole, 1) if whole and part is not None else None


def _level(ctx: Context, key: str) -> int | None:
    """A level at the period's end (None: no data for that day)."""
    return None if ctx.levels is None else ctx.levels[key]


def value(ctx: Context, code: str) -> float | None:
    """The KPI `code` for the context (see the registry for each definition)."""
    if code in ("active", "new", "returning", "churned", "activities", "stickiness"):
        return ctx.period_kpis[code]
    if code == "nps":
        return ctx.period_kpis["nps"]["score"]
    if code in ("members", "loyal_advocates"):
        return _level(ctx, code)
    if code == "at_risk_share":
        return share(_level(ctx, "at_risk"), _level(ctx, "members"))
    if code in ("active_7d", "active_30d"):
        return active_in(ctx, 7 if code == "active_7d" else 30)
    if code == "attendance_rate":
        return share(ctx.events.came, ctx.events.registered)
    if code == "repeat_attendance":
        return share(ctx.events.repeat, ctx.events.attendees)
    if code == "active_leaders":
        return active_leaders(ctx)
    if code == "segment_size":
        return segment_size(ctx)
    raise KeyError(code)
