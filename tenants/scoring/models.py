"""Scoring state: model versions, stage history, the organisation's scoring stamps."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenants.core.base import Base, BigId, OrgOwned, TenantOwned, utcnow


class ScoringModel(TenantOwned, OrgOwned, Base):
    """One saved version of an organisation's scoring settings. Scores record the version they used."""
    __tablename__ = "scoring_model"
    __table_args__ = (UniqueConstraint("org_id", "version", name="uq_scoring_model_org_version"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict] = mapped_column(JSON)
    epoch_day: Mapped[int] = mapped_column(Integer)   # day number the decay is scaled to (see scoring.py)
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StageChange(TenantOwned, OrgOwned, Base):
    """Every loyalty stage change: the history behind "moved up / held / moved down"."""
    __tablename__ = "stage_change"
    __table_args__ = (Index("ix_stage_change_org_at", "org_id", "changed_at"),
                      Index("ix_stage_change_member", "member_id", "changed_at"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[float | None]
    changed_at: Mapped[datetime]


class OrgScore(TenantOwned, OrgOwned, Base):
    """When an organisation's scores and metrics were last computed, and by which path."""
    __tablename__ = "org_score"
    __table_args__ = (UniqueConstraint("org_id", name="uq_org_score_org_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scored_at: Mapped[datetime | None]
    full_at: Mapped[datetime | None]
    daily_at: Mapped[datetime | None]
    metrics_at: Mapped[datetime | None]
