"""Goals and their daily points."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.core.base import Base, BigId, OrgOwned, TenantOwned, utcnow
from tenants.core.ids import public_id

# The five elements of engagement, then the purposes a goal can serve: one list of categories.
ELEMENTS = ("awareness", "observation", "ideas", "interaction", "influence")
PURPOSES = ("word_of_mouth", "warming", "loyalty")
CATEGORIES = ELEMENTS + PURPOSES
# What a goal's status can be (progress.py decides it); a closed goal keeps its outcome.
STATUSES = ("on_track", "at_risk", "behind", "not_started", "no_data", "achieved", "missed")
OUTCOMES = ("achieved", "missed", "stopped")
MAX_TARGETS = 8


class Goal(TenantOwned, OrgOwned, Base):
    """A KPI to move from its baseline to targets by their due dates. `targets` is the ordered list of
    {"value": number, "due": "YYYY-MM-DD"}; the baseline is the KPI on `start_date`, stored once taken."""
    __tablename__ = "goal"
    __table_args__ = (Index("ix_goal_org_closed", "org_id", "closed_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(32))
    template: Mapped[str | None] = mapped_column(String(48))
    kpi: Mapped[str] = mapped_column(String(32))
    direction: Mapped[int] = mapped_column(SmallInteger, default=1)       # 1: up is good, -1: down is good
    segment_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("segment.id", ondelete="SET NULL"))
    segment_name: Mapped[str | None] = mapped_column(String(120))        # kept: a deleted segment's goal says so
    start_date: Mapped[date] = mapped_column(Date)
    baseline: Mapped[float | None] = mapped_column(Float)
    baseline_on: Mapped[date | None] = mapped_column(Date)                # the day the baseline was read for
    targets: Mapped[list] = mapped_column(JSONB, default=list)
    owner_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))               # OUTCOMES, once closed
    close_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def scope_lost(self) -> bool:
        """The goal was for a segment that has since been deleted: it records no more points."""
        return self.segment_id is None and self.segment_name is not None


class GoalPoint(TenantOwned, OrgOwned, Base):
    """The goal's KPI on one day (None: no data that day). One row per goal and day: recording a day again
    overwrites it."""
    __tablename__ = "goal_point"
    goal_id: Mapped[int] = mapped_column(BigId, ForeignKey("goal.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
