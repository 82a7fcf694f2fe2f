"""Influence over the last 90 days: distinct members reached, what they received, external reach."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.community.models import UNSCORED_MEMBER
from tenants.scoring.sql import ELIGIBLE, temp_as

INFLUENCE_DAYS = 90


def influence_table(session: Session, org_id: int, as_of: datetime) -> list[int]:
    """Over 90 days: distinct members who replied to, reacted to or mentioned a member, what they received,
    and reach log10(1 + followers); raw and as a percentile within the organisation, into temp table
    score_influence (stage_members stores them). Pairs (target, source) first: that aggregate runs in
    parallel, a count(DISTINCT) would not. A negative follower count (stored by hand: ingest refuses it) counts
    as none; returns the members that have one."""
    params = {"org": org_id, "since": as_of - timedelta(days=INFLUENCE_DAYS), "now": as_of}
    # Double precision throughout: log10 of a numeric (1.0 + followers) cost 12 µs a member. The percentile in
    # the same statement: an UPDATE of every row of the temp table afterwards cost as much again. Staff and bot
    # sources come from the partial index of unscored members (a handful), not from hashing the organisation's
    # members for their flags (5 ms at size M); the organisation is spelled out, or PostgreSQL hashed every
    # member of every organisation (0.4 s for one organisation of an 800,000-member table).
    temp_as(session, "score_influence", f"""
        SELECT x.member_id, x.raw,
               CASE WHEN x.raw > 0 THEN 100.0 * percent_rank() OVER (ORDER BY x.raw) ELSE 0.0 END AS pct
        FROM (SELECT m.id AS member_id,
                     CAST(coalesce(r.sources, 0) AS double precision) + 0.2 * CAST(coalesce(r.received, 0) AS
                     double precision) + 2.0 * log10(1.0 + greatest(CAST(m.followers AS double precision), 0.0)) AS raw
              FROM member m LEFT JOIN (
                  SELECT p.target AS member_id, count(*) AS sources, sum(p.n) AS received
                  FROM (SELECT a.target_member_id AS target, a.member_id AS source, count(*) AS n
                        FROM activity a
                        WHERE a.org_id = :org AND a.occurred_at >= :since AND a.occurred_at <= :now
                          AND a.target_member_id IS NOT NULL AND a.target_member_id <> a.member_id
                        GROUP BY a.target_member_id, a.member_id) p
                  WHERE p.source NOT IN (SELECT src.id FROM member src WHERE src.org_id = :org
                                           AND ({UNSCORED_MEMBER}) AND (src.is_staff OR src.is_bot))
                  GROUP BY p.target) r ON r.member_id = m.id
              WHERE {ELIGIBLE}) x""", params)
    return list(session.scalars(text(f"SELECT m.id FROM member m WHERE {ELIGIBLE} AND m.followers < 0 ORDER BY 1"),
                                params))
