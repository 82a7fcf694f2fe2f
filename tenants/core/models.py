"""Cross-cutting tables: the mail outbox and the audit log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.core.base import Base, BigId, TenantOwned, utcnow


class OutboxMail(Base):
    """Every mail Communa sends; without MAIL_* configured this is where it stays (until its link expires)."""
    __tablename__ = "outbox_mail"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    # While `body` holds a usable link: the body without it, and when the link stops working.
    safe_body: Mapped[str | None] = mapped_column(Text)
    secret_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(16), default="outbox")  # outbox | sent | failed
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    # An HTML alternative of `body`, and the images it shows inline ({content id: base64 PNG}), e.g. a ticket's
    # QR code.
    html: Mapped[str | None] = mapped_column(Text)
    images: Mapped[dict | None] = mapped_column(JSONB)
    # The name the mail is sent under (an agency's white label), else the configured sender's.
    sender_name: Mapped[str | None] = mapped_column(String(120))


class AuditLog(TenantOwned, Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_agency_at", "agency_id", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(64))
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
