"""The organisation-level daily metrics rollup."""
from __future__ import annotations

from sqlalchemy import JSON, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tenants.core.base import Base, BigId, OrgOwned, TenantOwned


class OrgDay(TenantOwned, OrgOwned, Base):
    """Rollup: an organisation's metrics for one UTC day (active members, new, returning, churned, activity by
    type and channel, stage distribution), written by the metrics pass."""
    __tablename__ = "org_day"
    __table_args__ = (UniqueConstraint("org_id", "day", name="uq_org_day_org_day"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
