"""Reports: a frozen snapshot of an organisation's KPIs and story for a period, its share links, and the
segments the agency chose to show in its reports."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenants.core.base import Base, BigId, OrgOwned, TenantOwned, utcnow
from tenants.core.ids import public_id

DRAFT, APPROVED, PUBLISHED = "draft", "approved", "published"
STATUSES = (DRAFT, APPROVED, PUBLISHED)
NOTE_FIELDS = ("work_done", "next_steps")
NOTE_MAX = 5000


class Report(TenantOwned, OrgOwned, Base):
    """One version of an organisation's report for a period. Its figures and sections are written once, when it
    is generated, and never change; only the status and the agency's notes (while a draft) do."""
    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("org_id", "period_start", "period_end", "version",
                                       name="uq_report_org_period_version"),
                      Index("ix_report_org_status", "org_id", "status"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    monthly: Mapped[bool] = mapped_column(default=True)      # a calendar month (else a custom period)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    language: Mapped[str] = mapped_column(String(8), default="en")
    figures: Mapped[dict] = mapped_column(JSON, default=dict)     # {"now": {code: value}, "previous": {...}}
    sections: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[dict] = mapped_column(JSON, default=dict)       # work_done, next_steps
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)
    generated_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    approved_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]


class ShareLink(TenantOwned, OrgOwned, Base):
    """A link that opens one report version without signing in. Only the token's SHA-256 is stored."""
    __tablename__ = "share_link"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    report_id: Mapped[int] = mapped_column(BigId, ForeignKey("report.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    show_names: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    views: Mapped[int] = mapped_column(Integer, default=0)
    last_viewed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    label: Mapped[str] = mapped_column(Text, default="")


class ReportSegment(TenantOwned, OrgOwned, Base):
    """A segment the agency chose to show in the organisation's reports."""
    __tablename__ = "report_segment"
    __table_args__ = (UniqueConstraint("org_id", "segment_id", name="uq_report_segment_org_segment"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    segment_id: Mapped[int] = mapped_column(BigId, ForeignKey("segment.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
