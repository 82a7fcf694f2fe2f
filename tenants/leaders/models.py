"""Opinion leaders of an organisation: the leader rows, their status history, touchpoints, the suggested
candidates (rewritten by the candidates job), dismissed candidates, and the organisation's leader settings."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.core.base import Base, BigId, OrgOwned, TenantOwned, utcnow
from tenants.core.ids import public_id

# The pipeline: candidate → invited → active → alumni, or declined at any point. Scoring reads 'active' by name.
LEADER_STATUSES = ("candidate", "invited", "active", "alumni", "declined")
LEADER_KINDS = ("ambassador", "expert", "creator", "partner", "media", "other")
TOUCHPOINT_KINDS = ("call", "gift", "invitation", "co_created_post", "other")
QUIET_DAYS = 21     # default: an active leader with no activity for this long is "gone quiet"


class Leader(TenantOwned, OrgOwned, Base):
    """A member the organisation works with as an opinion leader (one row per member)."""
    __tablename__ = "leader"
    __table_args__ = (UniqueConstraint("org_id", "member_id", name="uq_leader_org_member"),
                      Index("ix_leader_member", "member_id"),
                      Index("ix_leader_merged_from_id", "merged_from_id",
                            postgresql_where=text("merged_from_id IS NOT NULL")))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"))
    # The member merged away whose row this was (a trigger moves the row to the survivor and back on unmerge).
    merged_from_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("member.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="candidate")
    kind: Mapped[str] = mapped_column(String(16), default="ambassador")
    internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    topics: Mapped[list] = mapped_column(JSONB, default=list)       # list of strings
    channels: Mapped[list] = mapped_column(JSONB, default=list)     # list of community.models.CHANNELS
    owner_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    since: Mapped[datetime | None]                  # when the leader first became active
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeaderStatusChange(TenantOwned, OrgOwned, Base):
    """Every status change of a leader: who, when, from, to, why."""
    __tablename__ = "leader_status_change"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    leader_id: Mapped[int] = mapped_column(BigId, ForeignKey("leader.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Touchpoint(TenantOwned, OrgOwned, Base):
    """A deliberate contact with a leader. The note is internal: clients never see it."""
    __tablename__ = "touchpoint"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    leader_id: Mapped[int] = mapped_column(BigId, ForeignKey("leader.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    day: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeaderCandidate(TenantOwned, OrgOwned, Base):
    """A suggested leader with the figures that make the case; the candidates job rewrites an organisation's
    rows in one transaction."""
    __tablename__ = "leader_candidate"
    __table_args__ = (UniqueConstraint("org_id", "member_id", name="uq_leader_candidate_org_member"),
                      Index("ix_leader_candidate_member", "member_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    influence: Mapped[float]                    # percentile in the organisation
    answered_by: Mapped[int] = mapped_column(Integer)       # distinct members who replied/reacted/mentioned, 90 d
    reached: Mapped[int] = mapped_column(Integer)           # distinct members they replied/reacted/mentioned, 90 d
    posts: Mapped[int] = mapped_column(Integer)             # posts and created content, 90 d
    followers: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str | None] = mapped_column(String(16))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeaderDismissal(TenantOwned, OrgOwned, Base):
    """A candidate someone dismissed: not suggested again until the dismissal is undone."""
    __tablename__ = "leader_dismissal"
    __table_args__ = (UniqueConstraint("org_id", "member_id", name="uq_leader_dismissal_org_member"),
                      Index("ix_leader_dismissal_member", "member_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"))
    dismissed_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeaderSettings(TenantOwned, OrgOwned, Base):
    """An organisation's leader settings: after how many quiet days an active leader raises an alert."""
    __tablename__ = "leader_settings"
    __table_args__ = (UniqueConstraint("org_id", name="uq_leader_settings_org_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    quiet_days: Mapped[int] = mapped_column(Integer, default=QUIET_DAYS)
