"""Segments: saved sets of an organisation's members, dynamic (a rule) or static (a list), with the rule's
versions and the daily snapshots that give a segment its history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.core.base import Base, BigId, OrgOwned, TenantOwned, utcnow
from tenants.core.ids import public_id

KINDS = ("dynamic", "static")


class Segment(TenantOwned, OrgOwned, Base):
    """A named set of members. A dynamic segment's rule is evaluated when read; every edit of the rule is a
    new version (segment_version), so the daily history says which rule each day was counted by."""
    __tablename__ = "segment"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    colour: Mapped[str] = mapped_column(String(7), default="#4f46e5")
    kind: Mapped[str] = mapped_column(String(16))
    rules: Mapped[dict | None] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, default=1)
    starter: Mapped[str | None] = mapped_column(String(32))     # which starter segment it began as
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SegmentVersion(TenantOwned, OrgOwned, Base):
    """One version of a segment's rule, kept when the rule is edited."""
    __tablename__ = "segment_version"
    __table_args__ = (UniqueConstraint("segment_id", "version", name="uq_segment_version_segment_version"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    segment_id: Mapped[int] = mapped_column(BigId, ForeignKey("segment.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    rules: Mapped[dict | None] = mapped_column(JSONB)
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SegmentMember(TenantOwned, OrgOwned, Base):
    """A member of a static segment."""
    __tablename__ = "segment_member"
    __table_args__ = (Index("ix_segment_member_member", "member_id"),)
    segment_id: Mapped[int] = mapped_column(BigId, ForeignKey("segment.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class SegmentState(TenantOwned, OrgOwned, Base):
    """Who was in a segment at its last daily snapshot: the next snapshot's entered and exited are the
    difference against it."""
    __tablename__ = "segment_state"
    __table_args__ = (Index("ix_segment_state_member", "member_id"),)
    segment_id: Mapped[int] = mapped_column(BigId, ForeignKey("segment.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)


class SegmentDay(TenantOwned, OrgOwned, Base):
    """A segment's daily snapshot. Unique per (segment, day): the row is the job's claim on the day, so two
    schedulers never count a day twice."""
    __tablename__ = "segment_day"
    __table_args__ = (UniqueConstraint("segment_id", "day", name="uq_segment_day_segment_day"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    segment_id: Mapped[int] = mapped_column(BigId, ForeignKey("segment.id", ondelete="CASCADE"))
    day: Mapped[int] = mapped_column(Integer)          # UTC day number (tenants.core.days)
    version: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    entered: Mapped[int] = mapped_column(Integer)
    exited: Mapped[int] = mapped_column(Integer)
    avg_score: Mapped[float | None]
    avg_loyalty: Mapped[float | None]
    at_risk: Mapped[int] = mapped_column(Integer)
    stages: Mapped[dict] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SegmentMove(TenantOwned, OrgOwned, Base):
    """A member who entered or left a segment at a snapshot, with the rule's conditions as they held for the
    member then (`conditions`: path → true/false), which say what part of the rule changed."""
    __tablename__ = "segment_move"
    __table_args__ = (Index("ix_segment_move_segment_day", "segment_id", "day"),
                      Index("ix_segment_move_member", "member_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    segment_id: Mapped[int] = mapped_column(BigId, ForeignKey("segment.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"))
    day: Mapped[int] = mapped_column(Integer)
    entered: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
    conditions: Mapped[dict] = mapped_column(JSONB, default=dict)
