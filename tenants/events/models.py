"""Events, their series, hosts and speakers, registrations (with check-in and the survey answer), and the log of
what happened to each registration (waitlist promotions, cancellations, check-ins and their undoing)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.core.base import Base, BigId, OrgOwned, TenantOwned, utcnow
from tenants.core.ids import public_id

EVENT_FORMATS = ("offline", "online", "hybrid")
REGISTRATION_STATUSES = ("registered", "waitlisted", "cancelled")
REGISTRATION_SOURCES = ("form", "import", "api", "manual", "walk_in")
EVENT_ROLES = ("host", "speaker")
# What the public registration form may ask besides name, email and consent (the manager picks).
FORM_FIELDS = ("phone", "city", "company", "telegram", "comment")
LOG_ACTIONS = ("registered", "waitlisted", "promoted", "cancelled", "checked_in", "check_in_undone", "walk_in")


class EventSeries(TenantOwned, OrgOwned, Base):
    """A recurring meet-up: events of one series are compared with each other."""
    __tablename__ = "event_series"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_event_series_org_name"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(TenantOwned, OrgOwned, Base):
    """One event. Times are stored in UTC; `timezone` (IANA) is where the event happens, for display."""
    __tablename__ = "event"
    __table_args__ = (Index("ix_event_org_starts", "org_id", "starts_at"),
                      Index("uq_event_org_source", "org_id", "source_id", unique=True,
                            postgresql_where=text("source_id IS NOT NULL")))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(16), default="offline")          # EVENT_FORMATS
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    location: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)                     # None: no limit
    promote_waitlist: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    tags: Mapped[list] = mapped_column(JSONB, default=list)
    series_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("event_series.id", ondelete="SET NULL"))
    # The public registration page: open or not, the link's unguessable token, the optional fields it asks.
    registration_open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    form_token: Mapped[str] = mapped_column(String(64), unique=True)
    form_fields: Mapped[list] = mapped_column(JSONB, default=list)             # of FORM_FIELDS
    source_id: Mapped[str | None] = mapped_column(String(200))                 # the API's idempotency key
    survey_sent_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventRole(TenantOwned, OrgOwned, Base):
    """A member who hosts or speaks at an event (each counts as a `content` activity of the member)."""
    __tablename__ = "event_role"
    __table_args__ = (UniqueConstraint("event_id", "member_id", "role", name="uq_event_role_event_member_role"),
                      Index("ix_event_role_member", "member_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("event.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))                              # EVENT_ROLES


class Registration(TenantOwned, OrgOwned, Base):
    """One member's place at one event: registered, waitlisted or cancelled; checked in or not (a walk-in is
    registered on the spot at the door). The ticket and the survey token are unguessable."""
    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("event_id", "member_id", name="uq_registration_event_member"),
                      Index("ix_registration_member", "member_id"),
                      Index("ix_registration_event_status", "event_id", "status", "registered_at"),
                      Index("uq_registration_event_source", "event_id", "source_id", unique=True,
                            postgresql_where=text("source_id IS NOT NULL")),
                      CheckConstraint("survey_score BETWEEN 0 AND 10", name="ck_registration_survey_score"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("event.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="registered")     # REGISTRATION_STATUSES
    source: Mapped[str] = mapped_column(String(16), default="manual")         # REGISTRATION_SOURCES
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    ticket: Mapped[str] = mapped_column(String(64), unique=True)
    answers: Mapped[dict] = mapped_column(JSONB, default=dict)                 # the form's optional fields
    consent_at: Mapped[datetime | None]
    source_id: Mapped[str | None] = mapped_column(String(200))
    survey_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    survey_sent_at: Mapped[datetime | None]
    survey_score: Mapped[int | None] = mapped_column(SmallInteger)             # 0-10 (a check constraint)
    survey_comment: Mapped[str | None] = mapped_column(Text)
    survey_answered_at: Mapped[datetime | None]


class RegistrationLog(TenantOwned, OrgOwned, Base):
    """What happened to a registration, when and by whom (no user: the public form, the API or a job)."""
    __tablename__ = "registration_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    registration_id: Mapped[int] = mapped_column(BigId, ForeignKey("registration.id", ondelete="CASCADE"),
                                                 index=True)
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("event.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(24))                            # LOG_ACTIONS
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(200), default="")
