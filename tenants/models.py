"""SQLAlchemy models. Tenant-owned models carry `agency_id` (and `org_id` where they belong to one)."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from .ids import public_id

# Integer on SQLite so the primary key autoincrements there too.
BigId = BigInteger().with_variant(Integer, "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("owner", "admin", "manager", "client")
STAFF_ROLES = ("owner", "admin", "manager")
ADMIN_ROLES = ("owner", "admin")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class TenantOwned:
    """Mixin: a row that belongs to one agency. Scoped by the ORM hook and by RLS."""

    @declared_attr
    def agency_id(cls) -> Mapped[int]:
        return mapped_column(BigId, ForeignKey("agency.id", ondelete="CASCADE"), nullable=False, index=True)


class OrgOwned:
    """Mixin: a tenant row that also belongs to one organisation."""

    @declared_attr
    def org_id(cls) -> Mapped[int]:
        return mapped_column(BigId, ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False,
                             index=True)


def tenant_tables() -> frozenset[str]:
    return frozenset(t.name for t in Base.metadata.sorted_tables if "agency_id" in t.c)


# --- global tables (no tenant) -----------------------------------------------------------------

class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(8))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class LoginSession(Base):
    """One signed-in browser. The cookie holds only its random key; revoking the row ends it."""
    __tablename__ = "login_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    user: Mapped[User] = relationship(lazy="joined")


class PasswordReset(Base):
    __tablename__ = "password_reset"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OutboxMail(Base):
    """Every mail Communa sends; without MAIL_* configured this is where it stays."""
    __tablename__ = "outbox_mail"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="outbox")  # outbox | sent | failed
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class Agency(Base):
    """The tenant itself. Holds no client data; its id is what every tenant row points at."""
    __tablename__ = "agency"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- tenant tables -----------------------------------------------------------------------------

class AgencyRole(TenantOwned, Base):
    __tablename__ = "agency_role"
    __table_args__ = (UniqueConstraint("agency_id", "user_id", name="uq_agency_role_agency_user"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship(lazy="joined")


class Organisation(TenantOwned, Base):
    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("agency_id", "slug", name="uq_organisation_agency_slug"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class OrgAccess(TenantOwned, OrgOwned, Base):
    """A manager's assignment to an organisation, or a client's one organisation."""
    __tablename__ = "org_access"
    __table_args__ = (UniqueConstraint("org_id", "user_id", name="uq_org_access_org_user"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # manager | client
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invitation(TenantOwned, Base):
    __tablename__ = "invitation"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    org_ids: Mapped[list] = mapped_column(JSON, default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        expires = self.expires_at if self.expires_at.tzinfo else self.expires_at.replace(tzinfo=UTC)
        return "expired" if expires <= utcnow() else "pending"


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


class JobRun(TenantOwned, Base):
    __tablename__ = "job_run"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    org_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("organisation.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(String(255))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


class JobFile(TenantOwned, Base):
    """A file a job produced (an export), downloadable by whoever may see the job."""
    __tablename__ = "job_file"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_run_id: Mapped[int] = mapped_column(BigId, ForeignKey("job_run.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
