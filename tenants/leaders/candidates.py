"""Leader candidates: the organisation's most influential members who are not leaders yet, each with the
figures that say why (who answers them, whom they reach, what they create, their stage, their reach).

Computed by the candidates job (nightly and on demand) into `leader_candidate`, set-based: one statement picks
the pool from `member` (scored influence percentile, stage active or higher) and measures the pool's last
90 days from the targeted-activity index alone (`ix_activity_org_targeted`) and the member-day rollup."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tenants.community.models import UNSCORED_MEMBER, Member
from tenants.core import audit
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.context import require_agency_id
from tenants.core.days import day_number
from tenants.leaders.models import Leader, LeaderCandidate, LeaderDismissal

WINDOW_DAYS = 90
LIMIT = 30              # candidates kept per organisation
MIN_INFLUENCE = 80.0    # percentile: the top fifth of the organisation by influence
STAGES = ("active", "loyal", "advocate")
CONTENT_TYPES = ("post", "content_created")

# Eligible: scored (not staff, bot, merged or erased), stage active or higher, influential, not a leader, not
# dismissed. Ordered by raw influence; the pool is small, so its 90 days are measured per member or by the
# pool's ids only.
_COMPUTE = text(f"""
    WITH pool AS MATERIALIZED (
        SELECT m.id, m.influence, m.influence_raw, greatest(coalesce(m.followers, 0), 0) AS followers, m.stage
        FROM member m
        WHERE m.org_id = :org AND NOT m.is_staff AND NOT m.is_bot AND m.merged_into_id IS NULL
          AND m.erased_at IS NULL AND m.stage = ANY(CAST(:stages AS text[])) AND m.influence >= :min_pct
          AND NOT EXISTS (SELECT 1 FROM leader l WHERE l.member_id = m.id)
          AND NOT EXISTS (SELECT 1 FROM leader_dismissal d WHERE d.member_id = m.id)
        ORDER BY m.influence_raw DESC NULLS LAST, m.id
        LIMIT :limit),
    ids AS (SELECT coalesce(array_agg(id), CAST(ARRAY[] AS bigint[])) AS ids FROM pool),
    pairs AS MATERIALIZED (
        SELECT a.member_id AS src, a.target_member_id AS tgt
        FROM activity a CROSS JOIN ids
        WHERE a.org_id = :org AND a.occurred_at >= :since AND a.occurred_at <= :now
          AND a.target_member_id IS NOT NULL AND a.target_member_id <> a.member_id
          AND (a.target_member_id = ANY(ids.ids) OR a.member_id = ANY(ids.ids))
        GROUP BY 1, 2),
    left_out AS (SELECT x.id FROM member x WHERE x.org_id = :org AND ({UNSCORED_MEMBER})),
    answered AS (SELECT tgt AS id, count(*) AS n FROM pairs WHERE src NOT IN (SELECT id FROM left_out) GROUP BY tgt),
    reached AS (SELECT src AS id, count(*) AS n FROM pairs WHERE tgt NOT IN (SELECT id FROM left_out) GROUP BY src)
    INSERT INTO leader_candidate (agency_id, org_id, member_id, rank, influence, answered_by, reached, posts,
                                  followers, stage, computed_at)
    SELECT :agency, :org, p.id, row_number() OVER (ORDER BY p.influence_raw DESC NULLS LAST, p.id), p.influence,
           coalesce(an.n, 0), coalesce(r.n, 0),
           (SELECT coalesce(sum(d.n), 0) FROM member_day d WHERE d.member_id = p.id
              AND d.type = ANY(CAST(:content AS text[])) AND d.day > :day_from AND d.day <= :today),
           least(p.followers, 2147483647), p.stage, :now
    FROM pool p LEFT JOIN answered an ON an.id = p.id LEFT JOIN reached r ON r.id = p.id""")


@dataclass
class Candidate:
    member: Member
    influence: float
    answered_by: int
    reached: int
    posts: int
    followers: int
    stage: str | None
    computed_at: datetime

    @property
    def top_percent(self) -> int:
        """"Top N% influence": the share of the organisation at or above this member, at least 1."""
        return max(1, int(100.0 - self.influence + 0.999))


def params(org_id: int, now: datetime) -> dict:
    today = day_number(now)
    return {"agency": require_agency_id(), "org": org_id, "stages": list(STAGES), "min_pct": MIN_INFLUENCE,
            "limit": LIMIT, "since": now - timedelta(days=WINDOW_DAYS), "now": now, "content": list(CONTENT_TYPES),
            "day_from": today - WINDOW_DAYS, "today": today}


def explain_sql():
    """The computation's plan as it runs (bench/leaders.py prints it; the caller rolls back)."""
    return text("EXPLAIN (ANALYZE, BUFFERS) " + _COMPUTE.text)


def compute(session: Session, org_id: int, now: datetime | None = None) -> int:
    """Rewrite the organisation's candidates; returns how many there are."""
    session.execute(delete(LeaderCandidate).where(LeaderCandidate.org_id == org_id))
    return session.execute(_COMPUTE, params(org_id, now or utcnow())).rowcount or 0


def listing(session: Session, org_id: int) -> list[Candidate]:
    """The stored candidates, best first; members who became leaders, were dismissed or left the scores since
    the last computation are left out."""
    rows = session.execute(
        select(LeaderCandidate, Member).join(Member, Member.id == LeaderCandidate.member_id)
        .where(LeaderCandidate.org_id == org_id, Member.erased_at.is_(None), Member.merged_into_id.is_(None),
               Member.is_staff.is_(False), Member.is_bot.is_(False),
               ~select(LeaderDismissal.id).where(LeaderDismissal.member_id == Member.id).exists(),
               ~select(Leader.id).where(Leader.member_id == Member.id).exists())
        .order_by(LeaderCandidate.rank)).all()
    return [Candidate(m, c.influence, c.answered_by, c.reached, c.posts, c.followers, c.stage, c.computed_at)
            for c, m in rows]


def computed_at(session: Session, org_id: int) -> datetime | None:
    return session.scalar(select(LeaderCandidate.computed_at).where(LeaderCandidate.org_id == org_id).limit(1))


def dismiss(session: Session, member: Member, actor: Actor) -> None:
    """Never suggest this member again (until restored)."""
    session.execute(insert(LeaderDismissal).values(
        agency_id=require_agency_id(), org_id=member.org_id, member_id=member.id, dismissed_by_id=actor.user_id,
        created_at=utcnow()).on_conflict_do_nothing(index_elements=["org_id", "member_id"]))
    audit.record(session, "leader_candidate_dismissed", actor, target=member.public_id)


def restore(session: Session, member: Member, actor: Actor) -> None:
    """Undo a dismissal: the member may be suggested again from the next computation."""
    session.execute(delete(LeaderDismissal).where(LeaderDismissal.member_id == member.id))
    audit.record(session, "leader_candidate_restored", actor, target=member.public_id)


def dismissed(session: Session, org_id: int) -> list[Member]:
    return list(session.scalars(select(Member).join(LeaderDismissal, LeaderDismissal.member_id == Member.id)
                                .where(LeaderDismissal.org_id == org_id).order_by(LeaderDismissal.created_at.desc())))
