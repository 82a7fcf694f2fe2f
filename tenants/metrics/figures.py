"""Figures read the same way by the rollups and the dashboard: NPS from survey answers, stickiness from the
daily rows, an org_day row's data."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.core import sql
from tenants.scoring.sql import ELIGIBLE

# Fewer answers than this and a month's NPS is not charted: one answer moves a score from ten answers by up to
# 20 points, and a single answer makes it −100, 0 or +100.
NPS_MIN_ANSWERS = 10


def nps(session: Session, org_id: int, start: datetime, end: datetime, members: list[int] | None = None) -> dict:
    """Net Promoter Score of the survey answers in [start, end): each member's latest answer counts once;
    9-10 promoters, 0-6 detractors. score is None when nobody answered. With `members` (ids), theirs only."""
    sql_text = nps_sql(among=members is not None)
    row = session.execute(text(sql_text), {"org": org_id, "a": start, "b": end, "ids": members}).one()
    return nps_figures(row[0] or 0, row[1] or 0, row[2] or 0)


def nps_sql(per: str | None = None, among: bool = False) -> str:
    """Promoters, detractors and answers in [:a, :b), each member's latest answer counted once — or once per
    value of `per` (an expression of the activity `a`), then grouped by it (its value first in each row). With
    `among`, only the members whose ids are bound as :ids."""
    key, part, group = (f"{per} AS per, ", f", {per}", "per, ") if per else ("", "", "")
    return f"""
        SELECT {group}sum(CASE WHEN v >= 9 THEN 1 ELSE 0 END), sum(CASE WHEN v <= 6 THEN 1 ELSE 0 END), count(*)
        FROM (SELECT {key}{sql.nps('a.meta')} AS v,
                     row_number() OVER (PARTITION BY a.member_id{part} ORDER BY a.occurred_at DESC, a.id DESC) AS rn
              FROM activity a JOIN member m ON m.id = a.member_id
              WHERE a.org_id = :org AND a.type = 'survey_answer' AND a.occurred_at >= :a AND a.occurred_at < :b
                AND {sql.nps('a.meta')} BETWEEN 0 AND 10 AND {ELIGIBLE}
                {"AND m.id = ANY(CAST(:ids AS bigint[]))" if among else ""}) x
        WHERE rn = 1 {"GROUP BY per" if per else ""}"""


def nps_figures(promoters: int, detractors: int, responses: int) -> dict:
    score = round(100.0 * (promoters - detractors) / responses) if responses else None
    return {"score": score, "promoters": promoters, "detractors": detractors,
            "passives": responses - promoters - detractors, "responses": responses}


def day_data(value) -> dict | None:
    """An org_day.data value read with plain SQL (psycopg decodes the JSON; a test may hand over text)."""
    return value if value is None or isinstance(value, dict) else json.loads(value)


def stickiness(days: dict[int, dict], lo: int, hi: int) -> float | None:
    """Mean DAU / MAU over the days lo..hi, in percent (None without any MAU)."""
    ratios = [v["dau"] / v["mau"] for d, v in days.items() if lo <= d <= hi and v.get("mau")]
    return round(100.0 * sum(ratios) / len(ratios), 1) if ratios else None
