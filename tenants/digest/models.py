"""Digest settings per organisation, its recipients (each with an unsubscribe token) and the delivery log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.core.base import Base, BigId, OrgOwned, TenantOwned, utcnow

KINDS = ("monthly", "weekly", "test")
OUTCOMES = ("sent", "paused", "unsubscribed")


class DigestSettings(TenantOwned, OrgOwned, Base):
    """How an organisation's digest goes out: monthly with each published report, weekly if asked for, to the
    organisation's client users and the extra addresses; paused sends nothing (and logs that it did not)."""
    __tablename__ = "digest_settings"
    __table_args__ = (UniqueConstraint("org_id", name="uq_digest_settings_org_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    weekly: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    extra: Mapped[list] = mapped_column(JSONB, default=list)          # addresses without an account
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestRecipient(TenantOwned, OrgOwned, Base):
    """An address the digest has been addressed to: its unsubscribe token (random, 256 bits) and whether it
    unsubscribed. Unsubscribing is per organisation."""
    __tablename__ = "digest_recipient"
    __table_args__ = (UniqueConstraint("org_id", "email", name="uq_digest_recipient_org_email"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    unsubscribed_at: Mapped[datetime | None]


class DigestDelivery(TenantOwned, OrgOwned, Base):
    """One line of the delivery log: a digest to one address, sent or not and why."""
    __tablename__ = "digest_delivery"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(254))
    outcome: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(300), default="")
    mail_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("outbox_mail.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
