"""What a segment's pages read: its figures today (stage mix, averages, at-risk share, activity by channel),
computed in SQL over the segment's one statement; its history (daily sizes, the week's entries and exits); the
members a bulk action names."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from tenants.accounts.models import User
from tenants.community.models import Activity, Member
from tenants.core.days import EPOCH, day_of, midnight
from tenants.scoring import STAGES
from tenants.segments.models import Segment, SegmentDay, SegmentMove, SegmentVersion

CHANNEL_DAYS = 30
MOVES_SHOWN = 100


@dataclass
class Figures:
    size: int
    stages: dict[str, int]
    avg_score: float | None
    avg_loyalty: float | None
    at_risk: int
    channels: dict[str, int] = field(default_factory=dict)

    @property
    def at_risk_share(self) -> float | None:
        return self.at_risk / self.size if self.size else None


def date_of(day: int) -> date:
    return EPOCH + timedelta(days=day)


def figures(session: Session, stmt, today: date) -> Figures:
    """Two queries over the statement's members: their profile figures, then their activity by channel in the
    last 30 days."""
    ids = stmt.with_only_columns(Member.id).order_by(None).subquery()
    member = Member.__table__.c
    stage_counts = [func.count().filter(member.stage == s).label(s) for s in STAGES]
    row = session.execute(select(func.count(), func.avg(member.score), func.avg(member.loyalty_index),
                                 func.count().filter(member.at_risk.is_(True)), *stage_counts)
                          .select_from(Member.__table__).where(member.id.in_(select(ids.c.id)))).one()
    since = midnight(today - timedelta(days=CHANNEL_DAYS - 1))
    channels = dict(session.execute(
        select(Activity.channel, func.count()).where(Activity.member_id.in_(select(ids.c.id)),
                                                     Activity.occurred_at >= since)
        .group_by(Activity.channel).order_by(func.count().desc())).all())
    return Figures(row[0], {s: row[4 + i] for i, s in enumerate(STAGES)}, row[1], row[2], row[3], channels)


def trend(session: Session, segment: Segment, today: date, days: int = 180) -> list[tuple[date, int]]:
    """The segment's size on each snapshot day, oldest first."""
    rows = session.execute(select(SegmentDay.day, SegmentDay.size).where(
        SegmentDay.segment_id == segment.id, SegmentDay.day > day_of(today) - days).order_by(SegmentDay.day))
    return [(date_of(d), size) for d, size in rows]


def sizes_before(session: Session, org_id: int, today: date, days: int = 7) -> dict[int, int]:
    """Each segment's size at its latest snapshot `days` or more ago (for "±n in 7 days"), one query."""
    rows = session.execute(select(SegmentDay.segment_id, SegmentDay.size)
                           .where(SegmentDay.org_id == org_id, SegmentDay.day <= day_of(today) - days)
                           .ext(distinct_on(SegmentDay.segment_id))
                           .order_by(SegmentDay.segment_id, SegmentDay.day.desc()))
    return dict(rows.all())


@dataclass
class Move:
    member: Member
    entered: bool
    day: date
    version: int
    conditions: dict[str, bool]


def moves(session: Session, segment: Segment, today: date, days: int = 7) -> list[Move]:
    """Who entered and who left the segment in the last `days` days, newest first, with the rule's conditions as
    they held for each."""
    rows = session.execute(select(SegmentMove, Member).join(Member, Member.id == SegmentMove.member_id)
                           .where(SegmentMove.segment_id == segment.id, SegmentMove.day > day_of(today) - days)
                           .order_by(SegmentMove.day.desc(), Member.sort_name, Member.id).limit(MOVES_SHOWN))
    return [Move(m, move.entered, date_of(move.day), move.version, move.conditions or {}) for move, m in rows]


def version_rules(session: Session, segment: Segment, versions: set[int]) -> dict[int, dict | None]:
    if not versions:
        return {}
    return dict(session.execute(select(SegmentVersion.version, SegmentVersion.rules).where(
        SegmentVersion.segment_id == segment.id, SegmentVersion.version.in_(versions))).all())


def edited_by(session: Session, segment: Segment) -> str | None:
    """Who made the segment's current version (their name), if known."""
    return session.scalar(select(User.name).join(SegmentVersion, SegmentVersion.created_by_id == User.id).where(
        SegmentVersion.segment_id == segment.id, SegmentVersion.version == segment.version))


def selected(session: Session, stmt, public_ids: list[str]) -> list[int]:
    """The ids of the chosen members that are in the statement (anything else is ignored)."""
    if not public_ids:
        return []
    return list(session.scalars(stmt.with_only_columns(Member.id).where(Member.public_id.in_(public_ids[:10_000]))
                                .order_by(None)))


def names(session: Session, org_id: int) -> dict[str, str]:
    """The organisation's segments' names by public id (to name the segments a rule refers to)."""
    return dict(session.execute(select(Segment.public_id, Segment.name).where(Segment.org_id == org_id)).all())
